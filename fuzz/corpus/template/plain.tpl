password: {{ coffer://payments/prod/DB_PASSWORD }}
