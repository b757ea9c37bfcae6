# shape of: chef/chef-server's terraform tiered scenario template (chef-server.rb.tpl), IPv6 rendered: if blocks, require
# expect: refused: this is not an HA topology

topology "tier"

server "back.example.internal",
  :ipaddress => "2001:db8:20::10/64",
  :role => "backend",
  :bootstrap => true

backend_vip "back.example.internal",
  :ipaddress => "2001:db8:20::10/64"

server "front.example.internal",
  :ipaddress => "2001:db8:20::20/64",
  :role => "frontend"

api_fqdn "front.example.internal"

require 'ipaddr'
if IPAddr.new("2001:db8:20::20/64").ipv6?
  profiles['root_url'] = 'http://[::1]:9998'
end
