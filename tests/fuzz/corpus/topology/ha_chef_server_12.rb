# /etc/opscode/chef-server.rb -- private-chef.rb links here since the Chef Server 12 upgrade
=begin
Cluster layout, kept in sync with the CMDB (CI 4471):
  chef-be01 / chef-be02: DRBD pair on /dev/sdb1, heartbeat on the crossover link
  chef-fe01 .. chef-fe04: API frontends behind haproxy
=end
topology "ha"

server "chef-be01.prod.example.org", :ipaddress => "172.31.8.10", :role => "backend", :bootstrap => true, :cluster_ipaddress => "192.168.100.10"
server "chef-be02.prod.example.org", :ipaddress => "172.31.8.11", :role => "backend", :cluster_ipaddress => "192.168.100.11"
backend_vip "chef-be.prod.example.org", :ipaddress => "172.31.8.9", :device => "ens192", :heartbeat_device => "ens224"

server "chef-fe01.prod.example.org", :ipaddress => "172.31.8.20", :role => "frontend"
server "chef-fe02.prod.example.org", :ipaddress => "172.31.8.21", :role => "frontend"
server "chef-fe03.prod.example.org", :ipaddress => "172.31.8.22", :role => "frontend"
server "chef-fe04.prod.example.org", :ipaddress => "172.31.8.23", :role => "frontend"

api_fqdn "chef.prod.example.org"

dark_launch["actions"] = true
lb["upstream"]["opscode-erchef"] = ["127.0.0.1"]
opscode_solr4['heap_size'] = 2048
postgresql['max_connections'] = 350
bookshelf['vip'] = "chef-be.prod.example.org"; bookshelf['url'] = "https://chef-be.prod.example.org"
