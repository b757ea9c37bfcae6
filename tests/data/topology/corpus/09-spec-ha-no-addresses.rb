# shape of: chef/chef-server's private_chef_spec.rb HA fixture (a frontend first, servers without :ipaddress)
# expect: refused: has no :ipaddress

topology "ha"

backend_vip "vip.example.org",
  :ipaddress => "10.9.0.1"

server "front.example.org",
  :role => 'frontend'

server "back-active.example.org",
  :role => 'backend',
  :bootstrap => true

server "back-passive.example.org",
  :role => 'backend'
