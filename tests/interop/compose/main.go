// read_compose: read .env files with compose-go's dotenv package, the
// parser `docker compose` uses for `--env-file` and `env_file:` (the files
// under compose-go/ are copied unchanged from compose-spec/compose-go, see
// compose-go/COMMIT), and print, for each file, a JSON object mapping
// key -> hex of the value's UTF-8 bytes, or {"compose error": "..."}.
//
//   read_compose FILE          -> {"KEY": "68656c6c6f", ...}
//   read_compose FILE FILE...  -> [{...}, {...}]   (one object per file)
//
// The environment compose would consult is empty (dotenv.GetEnvFromFile
// with no current environment), so a value never depends on the machine
// that runs the test. Used by crates/coffer-dotenv/tests/dialect_read.rs.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

func readOne(file string) map[string]string {
	env, err := dotenv.GetEnvFromFile(map[string]string{}, []string{file})
	if err != nil {
		// No key can hold a space, so this one cannot clash with a variable.
		return map[string]string{"compose error": err.Error()}
	}
	out := map[string]string{}
	for k, v := range env {
		out[k] = hex.EncodeToString([]byte(v))
	}
	return out
}

func main() {
	files := os.Args[1:]
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: read_compose FILE [FILE...]")
		os.Exit(2)
	}
	var out interface{}
	if len(files) == 1 {
		out = readOne(files[0])
	} else {
		all := make([]map[string]string, 0, len(files))
		for _, f := range files {
			all = append(all, readOne(f))
		}
		out = all
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
