topology "ha"
server "be1.example.com", :ipaddress => "192.168.4.5, :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.168.4.6", :role => "backend"
server "fe1.example.com", :ipaddress => "192.168.4.2", :role => "frontend"
