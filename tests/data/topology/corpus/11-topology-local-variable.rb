# shape of: the same template before chef/chef-server#1990: `topology = "tier"` only sets a local variable, so Chef stays standalone
# expect: refused: no topology statement: this is not an HA topology

topology = "tier"

server "back.example.internal",
  :ipaddress => "10.30.1.10",
  :role => "backend",
  :bootstrap => true

server "front.example.internal",
  :ipaddress => "10.30.1.20",
  :role => "frontend"

api_fqdn "front.example.internal"
