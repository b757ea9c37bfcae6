# shape of: jeremiahsnapp/dev-lxc's generated HA config (lib/dev-lxc/chef-cluster.rb, 2014): a quote never closed
# expect: refused: unterminated string

topology "ha"
server "be1-ha.lxc",
  :ipaddress => "10.50.3.5",
  :role => "backend",
  :bootstrap => true,
  :cluster_ipaddress => "10.50.3.5"

server "be2-ha.lxc",
  :ipaddress => "10.50.3.6,
  :role => "backend",
  :cluster_ipaddress => "10.50.3.6"
