# shape of: Chef Server 12's DRBD HA page (chef/chef-web-docs install_server_ha_drbd.rst, 2017, documentation addresses)
# expect: ha chef-backend-1.example.org:bootstrap chef-backend-2.example.org:secondary chef-frontend-1.example.org:frontend chef-frontend-2.example.org:frontend

topology "ha"

server "chef-backend-1.example.org",
  :ipaddress => "198.51.100.101",
  :role => "backend",
  :bootstrap => true,
  :cluster_ipaddress => "192.0.2.101"

server "chef-backend-2.example.org",
  :ipaddress => "198.51.100.102",
  :role => "backend",
  :cluster_ipaddress => "192.0.2.102"

backend_vip "chef-backend.example.org",
  :ipaddress => "198.51.100.100",
  :device => "eth0"

server "chef-frontend-1.example.org",
  :ipaddress => "198.51.100.111",
  :role => "frontend"

server "chef-frontend-2.example.org",
  :ipaddress => "198.51.100.112",
  :role => "frontend"

api_fqdn "chef.example.org"
