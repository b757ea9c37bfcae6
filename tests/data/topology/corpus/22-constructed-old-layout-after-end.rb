# shape of: constructed: an old layout kept below __END__, which Ruby (and Chef's instance_eval) never reads
# expect: ha be1.example.com:bootstrap be2.example.com:secondary fe1.example.com:frontend

topology "ha"
server "be1.example.com", :ipaddress => "192.0.2.91", :role => "backend", :bootstrap => true
server "be2.example.com", :ipaddress => "192.0.2.92", :role => "backend"
backend_vip "be.example.com", :ipaddress => "192.0.2.90", :device => "eth0"
server "fe1.example.com", :ipaddress => "192.0.2.93", :role => "frontend"
api_fqdn "chef.example.com"
__END__
server "old-fe.example.com", :ipaddress => "192.0.2.99", :role => "frontend"
this is not even Ruby {
