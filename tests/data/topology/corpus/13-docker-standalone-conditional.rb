# shape of: an operator's Docker image config (3ofcoins/docker-chef-server chef-server.rb): api_fqdn chosen in if/else from a local
# expect: refused: no topology statement: this is not an HA topology

# Configured from the environment
_uri = ::URI.parse(ENV['PUBLIC_URL'] || 'https://127.0.0.1/')
if _uri.port == _uri.default_port
  api_fqdn _uri.hostname
else
  api_fqdn "#{_uri.hostname}:#{_uri.port}"
end
nginx['enable_non_ssl'] = true
