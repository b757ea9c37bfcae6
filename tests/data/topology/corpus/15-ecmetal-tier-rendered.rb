# shape of: ec-metal's template rendered for a tier with load-testing settings
# expect: refused: this is not an HA topology

topology "tier"

server "backend1.lab.example.net", :ipaddress => "10.40.1.11", :role => "backend", :bootstrap => true
backend_vip "backend1.lab.example.net", :ipaddress => "10.40.1.11"
server "frontend1.lab.example.net", :ipaddress => "10.40.1.21", :role => "frontend"
server "frontend2.lab.example.net", :ipaddress => "10.40.1.22", :role => "frontend"
postgresql['max_connections'] = 1500
opscode_erchef['db_pool_size'] = 100
