// compose-check loads a Compose file the way `docker compose config` does — compose-go, the library Docker Compose
// itself uses: the official compose-spec JSON schema, variable interpolation (so `${VAR:?message}` is enforced),
// and the model's own checks (e.g. depends_on naming an undefined service) — without a Docker engine. On success
// it prints the normalised project as JSON for scripts/check-deploy.ts to inspect; on failure it prints why and
// exits 1.
//
//	go run . -project-directory DIR -file DIR/docker-compose.yml [-profile NAME]...
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type profiles []string

func (p *profiles) String() string     { return strings.Join(*p, ",") }
func (p *profiles) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	dir := flag.String("project-directory", ".", "the project directory (relative paths and .env resolve here)")
	file := flag.String("file", "docker-compose.yml", "the Compose file")
	var enabled profiles
	flag.Var(&enabled, "profile", "a profile to enable (repeatable)")
	flag.Parse()

	if err := run(*dir, *file, enabled); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir, file string, enabled []string) error {
	options, err := cli.NewProjectOptions(
		[]string{file},
		cli.WithWorkingDirectory(dir),
		cli.WithOsEnv,
		cli.WithEnvFiles(), // <project directory>/.env, as docker compose reads it
		cli.WithDotEnv,
		cli.WithProfiles(enabled),
	)
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(project, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}
