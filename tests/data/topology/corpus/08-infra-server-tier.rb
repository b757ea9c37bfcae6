# shape of: Chef Infra Server's tiered install page (chef/chef-server docs-chef-io install_server_tiered.md)
# expect: refused: this is not an HA topology

topology "tier"
server "back.example.org",
  :ipaddress => "198.51.100.5",
  :role => "backend",
  :bootstrap => true
backend_vip "back.example.org",
  :ipaddress => "198.51.100.5",
  :device => "eth0"
server "front-1.example.org", :ipaddress => "198.51.100.6", :role => "frontend"
api_fqdn "chef.example.org"
