x={{ coffer://p/e/K
}}
