# private-chef.rb for the Berlin datacenter HA pair -- edited by hand, see RUNBOOK-142.
#
# NB: db-b is the bootstrap since the 2014 rebuild; db-a was reinstalled from it.

topology 'ha'
api_fqdn 'chef.berlin.example.net'   # the F5 virtual server in front of the frontends

server('db-a.berlin.example.net',
       ipaddress: '10.20.0.11',
       cluster_ipaddress: '172.16.0.11',
       role: 'backend',
       bootstrap: false)

server "db-b.berlin.example.net", :role=>"backend", :cluster_ipaddress=>"172.16.0.12", \
       :bootstrap=>true, :ipaddress=>"10.20.0.12"   # bootstrap: ran the first reconfigure

backend_vip "db.berlin.example.net",
	:heartbeat_device => "bond1",
	:device => "bond0",
	:ipaddress => "10.20.0.10"

# frontends behind the load balancer
server 'api-1.berlin.example.net', :ipaddress => '10.20.1.21', :role => 'frontend'
server 'api-2.berlin.example.net', role: "frontend", ipaddress: "10.20.1.22"
server "api-3.berlin.example.net",
    :role      => "frontend",   # added 2015-03 for the reporting load
    :ipaddress => "10.20.1.23"

notification_email "chef-ops#berlin@example.net"
from_email "chef@berlin.example.net"
opscode_erchef['s3_url_ttl'] = 3600
opscode_erchef['max_request_size'] = 2000000
nginx['enable_non_ssl'] = false
nginx["ssl_protocols"] = "TLSv1 TLSv1.1 TLSv1.2"   # no SSLv3 since the 2014 audit
oc_id['applications'] = {
  'supermarket' => {
    'redirect_uri' => 'https://supermarket.berlin.example.net/auth/chef_oauth2/callback'
  }
}
