# shape of: constructed: the CS 12 AWS HA page's fragments pasted together; its backend_vip line ends with a comma
# expect: refused: backend_vip

topology "ha"
server "be1.example.com", :ipaddress => "192.0.2.141", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.0.2.142", :role => "backend"
backend_vip "be.example.com", :ipaddress => "192.0.2.140", :device => "eth0",
server "fe1.example.com", :ipaddress => "192.0.2.151", :role => "frontend"
