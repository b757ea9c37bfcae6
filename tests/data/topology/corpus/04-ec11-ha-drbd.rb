# shape of: Enterprise Chef 11's backend install page (chef/chef-web-docs release_oec_11-2 install_server_be.rst): two-space options, :cluster_ipaddress, a VIP with its device
# expect: ha be1.corp.example.net:bootstrap be2.corp.example.net:secondary fe1.corp.example.net:frontend fe2.corp.example.net:frontend fe3.corp.example.net:frontend

topology "ha"

server "be1.corp.example.net",
  :ipaddress => "192.0.2.31",
  :role => "backend",
  :bootstrap => true,
  :cluster_ipaddress => "198.51.100.31"

server "be2.corp.example.net",
  :ipaddress => "192.0.2.32",
  :role => "backend",
  :cluster_ipaddress => "198.51.100.32"

backend_vip "be.corp.example.net",
  :ipaddress => "192.0.2.30",
  :device => "eth0"

server "fe1.corp.example.net",
  :ipaddress => "192.0.2.41",
  :role => "frontend"

server "fe2.corp.example.net",
  :ipaddress => "192.0.2.42",
  :role => "frontend"

server "fe3.corp.example.net",
  :ipaddress => "192.0.2.43",
  :role => "frontend"

api_fqdn "chef.corp.example.net"
