# shape of: Chef Server 12's AWS HA page (install_server_ha_aws.rst): single quotes, ha[...] settings before the servers
# expect: ha ip-10-20-1-11.example.internal:bootstrap ip-10-20-1-12.example.internal:secondary ip-10-20-2-21.example.internal:frontend

topology 'ha'
ha['provider'] = 'aws'
ha['aws_access_key_id'] = 'AKIDEXAMPLE'
ha['aws_secret_access_key'] = 'not-a-real-secret'
ha['ebs_volume_id'] = 'vol-0123456789'
ha['ebs_device'] = '/dev/xvdf'

server 'ip-10-20-1-11.example.internal',
  :ipaddress => '10.20.1.11',
  :role => 'backend',
  :bootstrap => true

server 'ip-10-20-1-12.example.internal',
  :ipaddress => '10.20.1.12',
  :role => 'backend'

backend_vip 'ip-10-20-1-100.example.internal',
  :ipaddress => '10.20.1.100',
  :device => 'eth0',
  :heartbeat_device => 'eth0'

server 'ip-10-20-2-21.example.internal',
  :ipaddress => '10.20.2.21',
  :role => 'frontend'

api_fqdn 'chef.example.org'
