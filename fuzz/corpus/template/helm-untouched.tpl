name: {{ .Values.name }}
key: {{{ coffer://p/e/K }}}
