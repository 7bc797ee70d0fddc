tls.key: |
{{ coffer://k8s/prod/TLS_KEY }}
