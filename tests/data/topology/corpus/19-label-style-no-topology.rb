# shape of: chef-cookbooks/chef-ingredient's expected chef-server.rb (spec/unit/recipes/test_config_install_spec.rb): key: labels, no topology
# expect: refused: no topology statement: this is not an HA topology

api_fqdn "chef.example.org"
ip_version "ipv6"
notification_email "ops@example.org"
server "chef.example.org",
  ipaddress: "198.51.100.7",
  role: "backend",
  bootstrap: true
