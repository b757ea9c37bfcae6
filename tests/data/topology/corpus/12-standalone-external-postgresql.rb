# shape of: chef/chef-server's azure external-postgresql scenario template
# expect: refused: this is not an HA topology

topology 'standalone'
postgresql['external'] = true
postgresql['vip'] = 'pg.example.org'
postgresql['db_superuser'] = 'chefadmin'
postgresql['db_superuser_password'] = 'not-a-real-password'
opscode_erchef['keygen_start_size'] = 30
