# shape of: an operator's production file found through the code index: server( '…', { … }) calls, no backend marked bootstrap
# expect: refused: no backend has :bootstrap => true

topology "ha"
server( 'web-2.prod.example.com', { :ipaddress => '10.70.0.12', :role => 'frontend' } )
server( 'db-0.prod.example.com', { :ipaddress => '10.70.1.10', :role => 'backend' } )
server( 'web-1.prod.example.com', { :ipaddress => '10.70.0.11', :role => 'frontend' } )
server( 'db-1.prod.example.com', { :ipaddress => '10.70.1.11', :role => 'backend' } )
backend_vip( 'db.prod.example.com', { :device => 'eth0', :heartbeat_device => 'eth1', :ipaddress => '10.70.1.9' } )
api_fqdn 'chef.prod.example.com'
