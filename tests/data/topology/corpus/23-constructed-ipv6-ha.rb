# shape of: constructed: an IPv6 HA file in key: style (Enterprise Chef 11.1+ takes IPv6; no complete real one was found)
# expect: refused: is an IPv6 address; chef-ha-upgrade supports IPv4 clusters only

topology "ha"
ip_version "ipv6"
server "be1.example.com", ipaddress: "2001:db8:30::1", role: "backend", bootstrap: true
server "be2.example.com", ipaddress: "2001:db8:30::2", role: "backend"
backend_vip "be.example.com", ipaddress: "2001:db8:30::10", device: "eth0"
server "fe1.example.com", ipaddress: "2001:db8:30::21", role: "frontend"
