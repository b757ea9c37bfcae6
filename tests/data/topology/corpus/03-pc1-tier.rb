# shape of: the Private Chef 1.x tiered install guide's example (source/installation/tiered.rst, 2012)
# expect: refused: topology is "tier": this is not an HA topology

topology "tier"

server "chef-be-a.example.net",
 :ipaddress => "192.0.2.11",
 :role => "backend",
 :bootstrap => true

backend_vip "chef-be.example.net",
 :ipaddress => "192.0.2.11/24"

server "chef-fe-a.example.net",
 :ipaddress => "192.0.2.21",
 :role => "frontend"

api_fqdn "chef.example.net"
