# /etc/opscode/private-chef.rb
#
# Enterprise Chef 11 high availability: two backends sharing a DRBD volume behind a
# keepalived VIP, three frontends behind the load balancer. Written from the install guide;
# the same file is copied to every node.

topology "ha"

server "be1.example.com",
  :ipaddress => "192.168.4.1",
  :role => "backend",
  :bootstrap => true,
  :cluster_ipaddress => "10.1.2.10"

server "be2.example.com",
  :ipaddress => "192.168.4.6",
  :role => "backend",
  :cluster_ipaddress => "10.1.2.12"

backend_vip "be.example.com",
  :ipaddress => "192.168.4.7",
  :device => "eth0",
  :heartbeat_device => "eth1"

server "fe1.example.com",
  :ipaddress => "192.168.4.2",
  :role => "frontend"

server "fe2.example.com",
  :ipaddress => "192.168.4.3",
  :role => "frontend"

server "fe3.example.com",
  :ipaddress => "192.168.4.4",
  :role => "frontend"

api_fqdn "chef.example.com"

notification_email "chef-admins@example.com"
nginx['enable_non_ssl'] = false
