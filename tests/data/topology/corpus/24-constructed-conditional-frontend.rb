# shape of: constructed: parenthesized calls with backslash continuations, and a frontend only when a file exists
# expect: refused: `server` inside `if` opened on line 11

topology("ha")
server("be1.example.com", :ipaddress => "192.0.2.101", \
       :role => "backend", :bootstrap => true)
server("be2.example.com", :ipaddress => "192.0.2.102", \
       :role => "backend")
backend_vip("be.example.com", :ipaddress => "192.0.2.100", :device => "eth0")
server("fe1.example.com", :ipaddress => "192.0.2.111", :role => "frontend")
if File.exist?("/etc/opscode/fe2-enabled")
  server("fe2.example.com", :ipaddress => "192.0.2.112", :role => "frontend")
end
