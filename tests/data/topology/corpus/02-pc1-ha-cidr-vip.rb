# shape of: the same guide's later revision (2012-03-31), its comma added: a VIP written addr/NN with a heartbeat device
# expect: ha chef-be-a.example.net:bootstrap chef-be-b.example.net:secondary chef-fe-a.example.net:frontend chef-fe-b.example.net:frontend

topology "ha"

server "chef-be-a.example.net",
 :ipaddress => "192.0.2.11",
 :role => "backend",
 :bootstrap => true,
 :cluster_ipaddress => "198.51.100.11"

server "chef-be-b.example.net",
 :ipaddress => "192.0.2.12",
 :role => "backend",
 :cluster_ipaddress => "198.51.100.12"

backend_vip "chef-be.example.net",
 :ipaddress => "192.0.2.10/24",
 :device => "eth0",
 :heartbeat_device => "eth1"

server "chef-fe-a.example.net",
 :ipaddress => "192.0.2.21",
 :role => "frontend"

server "chef-fe-b.example.net",
 :ipaddress => "192.0.2.22",
 :role => "frontend"

api_fqdn "chef.example.net"
