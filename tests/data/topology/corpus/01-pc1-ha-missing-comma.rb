# shape of: the Private Chef 1.x HA install guide's example (chef-boneyard/private-chef-administration source/installation/ha.rst, 2012): every revision lacks the comma after the first server's name
# expect: refused: Ruby stops here with a syntax error

topology "ha"

server "chef-be-a.example.net"
 :ipaddress => "192.0.2.11",
 :role => "backend",
 :bootstrap => true

server "chef-be-b.example.net",
 :ipaddress => "192.0.2.12",
 :role => "backend"

backend_vip "chef-be.example.net",
 :ipaddress => "192.0.2.10"

server "chef-fe-a.example.net",
 :ipaddress => "192.0.2.21",
 :role => "frontend"

api_fqdn "chef.example.net"
