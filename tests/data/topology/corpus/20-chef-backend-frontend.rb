# shape of: a Chef Backend frontend's chef-server.rb (Azure/azure-quickstart-templates chef-automate-ha install script)
# expect: refused: a frontend of a Chef Backend cluster (use_chef_backend), which chef-ha-upgrade does not upgrade

fqdn = "chef-fe0.example.com"
use_chef_backend true
chef_backend_members ["10.80.1.6", "10.80.1.5", "10.80.1.4"]
haproxy['remote_postgresql_port'] = 5432
haproxy['remote_elasticsearch_port'] = 9200
api_fqdn fqdn
nginx['server_name'] = fqdn
