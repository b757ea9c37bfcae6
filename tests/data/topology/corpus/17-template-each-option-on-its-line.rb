# shape of: wrightp/ec-ha-scripts' private-chef.rb template (each option on its own line, comments between servers)
# expect: ha be1.local.example:bootstrap be2.local.example:secondary fe1.local.example:frontend fe2.local.example:frontend

topology "ha"

# the bootstrap backend
server "be1.local.example",
  :ipaddress => "10.60.0.1",
  :role => "backend",
  :bootstrap => true,
  :cluster_ipaddress => "10.61.0.1"

# its standby
server "be2.local.example",
  :ipaddress => "10.60.0.2",
  :role => "backend",
  :cluster_ipaddress => "10.61.0.2"

backend_vip "be.local.example",
  :ipaddress => "10.60.0.3",
  :device => "eth0",
  :heartbeat_device => "eth1"

server "fe1.local.example",
  :ipaddress => "10.60.0.11",
  :role => "frontend"

server "fe2.local.example",
  :ipaddress => "10.60.0.12",
  :role => "frontend"

api_fqdn "chef.local.example"
