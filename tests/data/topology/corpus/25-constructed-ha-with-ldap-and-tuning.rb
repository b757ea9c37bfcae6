# shape of: constructed: HA with the ldap, nginx, postgresql, erchef and keepalived settings the EC 11 and CS 12 docs name
# expect: ha be1.example.com:bootstrap be2.example.com:secondary fe1.example.com:frontend fe2.example.com:frontend

topology "ha"

server "be1.example.com", :ipaddress => "192.0.2.121", :role => "backend", :bootstrap => true, :cluster_ipaddress => "198.51.100.121"
server "be2.example.com", :ipaddress => "192.0.2.122", :role => "backend", :cluster_ipaddress => "198.51.100.122"
backend_vip "be.example.com", :ipaddress => "192.0.2.120", :device => "eth0", :heartbeat_device => "eth1"
server "fe1.example.com", :ipaddress => "192.0.2.131", :role => "frontend"
server "fe2.example.com", :ipaddress => "192.0.2.132", :role => "frontend"

api_fqdn "chef.example.com"

if File.exist?("/etc/opscode/ldap-enabled")
  ldap['host'] = "ldap.example.com"
  ldap['base_dn'] = "ou=people,dc=example,dc=com"
  ldap['bind_dn'] = "cn=chef,ou=services,dc=example,dc=com"
end
nginx['ssl_protocols'] = "TLSv1.2"
postgresql['max_connections'] = 350
opscode_erchef['max_request_size'] = 2000000
keepalived['vrrp_instance_advert_int'] = 1
