# shape of: Enterprise Chef 11's frontend install page (release_oec_11-2 install_server_fe.rst)
# expect: refused: topology is "tier": this is not an HA topology

topology "tier"

server "be1.corp.example.net", :ipaddress => "192.0.2.31", :role => "backend", :bootstrap => true
backend_vip "be1.corp.example.net", :ipaddress => "192.0.2.31"
server "fe1.corp.example.net", :ipaddress => "192.0.2.41", :role => "frontend"
api_fqdn "chef.corp.example.net"
