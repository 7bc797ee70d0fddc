x={{ coffer://p/e/K | base64 }}
