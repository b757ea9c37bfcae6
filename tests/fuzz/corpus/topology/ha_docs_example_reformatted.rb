# The same cluster as ha_docs_example.rb, as another operator would have typed it:
# one line per entry, frontends first, single quotes, Ruby 1.9 keys, other comments.
api_fqdn('chef.example.com')
topology 'ha'   # DRBD pair + 3 frontends

server 'fe3.example.com', role: 'frontend', ipaddress: '192.168.4.4'
server 'fe1.example.com', role: 'frontend', ipaddress: '192.168.4.2'
server 'fe2.example.com', :role=>'frontend', :ipaddress=>'192.168.4.3'

# backends: be1 is the bootstrap
server "be2.example.com", :cluster_ipaddress => "10.1.2.12", :role => "backend", :ipaddress => "192.168.4.6", :bootstrap => false
server "be1.example.com", :bootstrap => true, :cluster_ipaddress => "10.1.2.10", :role => "backend", :ipaddress => "192.168.4.1"
backend_vip 'be.example.com', heartbeat_device: 'eth1', device: 'eth0', ipaddress: '192.168.4.7'

nginx['enable_non_ssl'] = false
notification_email 'chef-admins@example.com'
opscode_erchef['s3_url_ttl'] = 3600
