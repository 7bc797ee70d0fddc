u={{ coffer://p/e/K?field=username&version=3 }}
n={{ coffer://p%61/e/%4B?field=notes }}
