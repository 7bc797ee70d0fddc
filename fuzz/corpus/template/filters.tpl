{
  "a": {{ coffer://p/e/A | json }},
  "b": {{coffer://p/e/B|yaml}}
}
export C={{ coffer://p/e/C | shell }}
D={{ coffer://p/e/D | dotenv }}
