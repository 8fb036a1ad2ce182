package config

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/waakvlam/waakvlam/seal"
)

// Encryption at rest: the key-encryption keys (KEKs) that wrap the data
// keys in Redis come from WAAKVLAM_DATA_KEY (base64 of 32 bytes; read from
// the environment only, never a flag: flags show in process lists and
// usage text) or from the key file WAAKVLAM_DATA_KEY_FILE (one KEK a
// line, "id base64key", the first current; more lines let a rotation run
// while replicas still hold data keys wrapped under the older KEK).

// DataKeyEnv and DataKeyFileEnv name the key settings.
const (
	DataKeyEnv     = "WAAKVLAM_DATA_KEY"
	DataKeyFileEnv = "WAAKVLAM_DATA_KEY_FILE"
)

func loadKeys(c *Config, file, aof string, getenv func(string) string, need Need) error {
	d, err := time.ParseDuration(aof)
	if aof == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 || (d > 0 && d < time.Minute) {
		return &Error{"WAAKVLAM_AOF_REWRITE", fmt.Sprintf("%q: give a duration of a minute or more, for example 24h (0: never)", aof)}
	}
	c.AOFRewrite = d
	c.DataKeyFile = file
	env := getenv(DataKeyEnv)
	switch {
	case env != "" && file != "":
		return &Error{DataKeyEnv, "set either " + DataKeyEnv + " or " + DataKeyFileEnv + ", not both"}
	case env != "":
		k, err := seal.ParseKey(env)
		if err != nil {
			return &Error{DataKeyEnv, err.Error()}
		}
		if c.Keys, err = seal.NewRing(k); err != nil {
			return &Error{DataKeyEnv, err.Error()}
		}
	case file != "":
		if c.Keys, err = ReadKeyFile(file); err != nil {
			return &Error{DataKeyFileEnv, err.Error()}
		}
	case need.Keys:
		return &Error{DataKeyEnv, "missing: client data is encrypted at rest; give a key (`waakvlam keys new`, or base64 of 32 random bytes) or " + DataKeyFileEnv}
	}
	return nil
}

// ReadKeyFile reads the KEKs of a key file.
func ReadKeyFile(path string) (*seal.Ring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("cannot read %s: %v", path, pe.Err)
		}
		return nil, err
	}
	r, err := seal.ParseKeyFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return r, nil
}
