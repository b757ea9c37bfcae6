# shape of: chef-boneyard/ec-metal's private-chef.rb.erb rendered for HA (each server on one line, then tuning)
# expect: ha backend1.lab.example.net:bootstrap backend2.lab.example.net:secondary frontend1.lab.example.net:frontend

topology "ha"

server "backend1.lab.example.net", :ipaddress => "192.0.2.51", :role => "backend", :bootstrap => true, :cluster_ipaddress => "192.0.2.51"
server "backend2.lab.example.net", :ipaddress => "192.0.2.52", :role => "backend", :cluster_ipaddress => "192.0.2.52"
backend_vip "backend.lab.example.net", :ipaddress => "192.0.2.50", :device => "eth1", :heartbeat_device => "eth1"
server "frontend1.lab.example.net", :ipaddress => "192.0.2.61", :role => "frontend"

api_fqdn "api.lab.example.net"
oc_id['applications'] = { 'analytics' => { 'redirect_uri' => 'https://analytics.lab.example.net/' } }
opscode_erchef['depsolver_worker_count'] = 4
