package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "housecall.json")
	if err := os.WriteFile(file, []byte(`{"addr":"0.0.0.0:9000","data_dir":"/from/file","log_level":"warn","shutdown_timeout":"3s"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     []string
		check   func(t *testing.T, c Config, rest []string)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c Config, _ []string) {
			if c.Addr != ":8080" || c.DataDir != "data" || c.MaxBodyBytes != 16<<20 {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{name: "file then env then flag", args: []string{"--config", file, "--data-dir", "/from/flag", "extra"},
			env: []string{"HOUSECALL_DATA_DIR=/from/env", "HOUSECALL_LOG_LEVEL=debug", "PATH=/bin"},
			check: func(t *testing.T, c Config, rest []string) {
				if c.Addr != "0.0.0.0:9000" {
					t.Errorf("addr from file: %q", c.Addr)
				}
				if c.LogLevel != "debug" {
					t.Errorf("env should override file: %q", c.LogLevel)
				}
				if c.DataDir != "/from/flag" {
					t.Errorf("flag should override env: %q", c.DataDir)
				}
				if time.Duration(c.ShutdownTimeout) != 3*time.Second {
					t.Errorf("shutdown from file: %v", c.ShutdownTimeout)
				}
				if len(rest) != 1 || rest[0] != "extra" {
					t.Errorf("rest = %v", rest)
				}
			}},
		{name: "config via env", env: []string{"HOUSECALL_CONFIG=" + file}, check: func(t *testing.T, c Config, _ []string) {
			if c.DataDir != "/from/file" {
				t.Errorf("data dir %q", c.DataDir)
			}
		}},
		{name: "dev binds loopback", args: []string{"--dev", "--addr", "0.0.0.0:8080"}, check: func(t *testing.T, c Config, _ []string) {
			if !c.Dev || c.Addr != "127.0.0.1:8080" {
				t.Errorf("dev addr = %q", c.Addr)
			}
		}},
		{name: "dev keeps explicit loopback", args: []string{"--dev", "--addr", "[::1]:8080"}, check: func(t *testing.T, c Config, _ []string) {
			if c.Addr != "[::1]:8080" {
				t.Errorf("dev addr = %q", c.Addr)
			}
		}},
		{name: "unknown env", env: []string{"HOUSECALL_NOPE=1"}, wantErr: "unknown environment variable HOUSECALL_NOPE"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined"},
		{name: "bad bool env", env: []string{"HOUSECALL_DEV=maybe"}, wantErr: "HOUSECALL_DEV"},
		{name: "bad int flag", args: []string{"--max-body-bytes", "lots"}, wantErr: "--max-body-bytes"},
		{name: "missing file", args: []string{"--config", filepath.Join(dir, "missing.json")}, wantErr: "config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rest, err := Load("serve", tt.args, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c, rest)
		})
	}
}

func TestFileRejectsUnknownKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(file, []byte(`{"adr":":1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load("serve", []string{"--config", file}, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown field "adr"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mut     func(*Config)
		wantErr string
	}{
		{"ok", func(*Config) {}, ""},
		{"bad addr", func(c *Config) { c.Addr = "8080" }, "addr"},
		{"bad db url", func(c *Config) { c.DatabaseURL = "mysql://x" }, "database_url"},
		{"postgres ok", func(c *Config) { c.DatabaseURL = "postgres://u@h/db" }, ""},
		{"public url with path", func(c *Config) { c.PublicURL = "https://x.org/app" }, "public_url"},
		{"public url ok", func(c *Config) { c.PublicURL = "https://x.org" }, ""},
		{"tiny body", func(c *Config) { c.MaxBodyBytes = 10 }, "max_body_bytes"},
		{"bad level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"bad format", func(c *Config) { c.LogFormat = "xml" }, "log_format"},
		{"no storage", func(c *Config) { c.DataDir = "" }, "data_dir"},
		{"ui dev url in dev", func(c *Config) { c.Dev, c.UIDevURL = true, "http://127.0.0.1:5173" }, ""},
		{"ui dev url without dev", func(c *Config) { c.UIDevURL = "http://127.0.0.1:5173" }, "ui_dev_url"},
		{"ui dev url not http", func(c *Config) { c.Dev, c.UIDevURL = true, "ws://127.0.0.1:5173" }, "ui_dev_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			tt.mut(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
