# The cluster every case starts from: two backends, two frontends, on loopback addresses.
topology "ha"
api_fqdn "chef.example.com"

server "be1.example.com",
  :ipaddress => "127.77.0.11",
  :role => "backend",
  :bootstrap => true,
  :cluster_ipaddress => "127.77.0.11"

server "be2.example.com",
  :ipaddress => "127.77.0.12",
  :role => "backend",
  :cluster_ipaddress => "127.77.0.12"

backend_vip "chef-be.example.com",
  :ipaddress => "127.77.0.10",
  :device => "lo",
  :heartbeat_device => "lo"

server "fe1.example.com", :ipaddress => "127.77.0.21", :role => "frontend"
server "fe2.example.com", :ipaddress => "127.77.0.22", :role => "frontend"
