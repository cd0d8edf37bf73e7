package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mxscope/mxscope/scanner/targets"
)

// The manifests in deploy/ are read as Kubernetes reads them, and their
// arguments parsed by mxscope's own commands: no cluster is needed to know
// that pod K runs shard K of N beside its resolver.

type k8sContainer struct {
	Name          string   `yaml:"name"`
	Image         string   `yaml:"image"`
	Args          []string `yaml:"args"`
	RestartPolicy string   `yaml:"restartPolicy"`
	Env           []struct {
		Name      string `yaml:"name"`
		ValueFrom struct {
			FieldRef struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	StartupProbe struct {
		TCPSocket struct {
			Port int `yaml:"port"`
		} `yaml:"tcpSocket"`
	} `yaml:"startupProbe"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy   string `yaml:"restartPolicy"`
				SecurityContext struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
				} `yaml:"securityContext"`
				InitContainers []k8sContainer `yaml:"initContainers"`
				Containers     []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readJob(t *testing.T, name string) k8sJob {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes", name))
	if err != nil {
		t.Fatal(err)
	}
	var j k8sJob
	if err := yaml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if j.APIVersion != "batch/v1" || j.Kind != "Job" {
		t.Fatalf("%s: %s %s; want a batch/v1 Job", name, j.APIVersion, j.Kind)
	}
	if !j.Spec.Template.Spec.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: the pod does not insist on running as non-root", name)
	}
	return j
}

func container(t *testing.T, cs []k8sContainer, name string) k8sContainer {
	t.Helper()
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return k8sContainer{}
}

// expand does what the kubelet does to $(VAR) in args.
func expand(args []string, vars map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(a, func(m string) string {
			if v, ok := vars[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	return out
}

func TestKubernetesScanJobRunsOneShardPerCompletionIndex(t *testing.T) {
	j := readJob(t, "scan-job.yaml")
	s := j.Spec
	if s.CompletionMode != "Indexed" || s.Completions < 2 || s.Parallelism < 1 || s.Parallelism > s.Completions {
		t.Fatalf("completionMode %q, completions %d, parallelism %d; want Indexed, N >= 2, 1 <= parallelism <= N",
			s.CompletionMode, s.Completions, s.Parallelism)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != "Never" {
		t.Errorf("restartPolicy %q: a failed shard should be retried by the Job (backoffLimitPerIndex), not restarted in place", pod.RestartPolicy)
	}

	// The sidecar: a native sidecar (an init container that keeps
	// running), which holds the scan back until it answers.
	ub := container(t, pod.InitContainers, "unbound")
	if ub.RestartPolicy != "Always" {
		t.Errorf("the unbound container's restartPolicy is %q; a native sidecar has Always", ub.RestartPolicy)
	}
	port := ub.StartupProbe.TCPSocket.Port
	conf, err := os.ReadFile(filepath.Join("..", "..", "deploy", "unbound", "unbound.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), fmt.Sprintf("interface: 127.0.0.1@%d", port)) {
		t.Errorf("the sidecar's startup probe asks port %d, which deploy/unbound/unbound.conf does not listen on", port)
	}

	mx := container(t, pod.Containers, "mxscope")
	var index string
	for _, e := range mx.Env {
		if e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			index = e.Name
		}
	}
	if index == "" {
		t.Fatal("the mxscope container has no variable from the job-completion-index annotation")
	}
	outputs := map[string]bool{}
	var shards []targets.Shard
	for k := range s.Completions {
		args := expand(mx.Args, map[string]string{index: fmt.Sprint(k)})
		var got *scanOptions
		cmd := newScanCmd(&streams{}, func(_ context.Context, o *scanOptions) error { got = o; return nil })
		if len(args) == 0 || args[0] != "scan" {
			t.Fatalf("args %v; want the scan command", args)
		}
		cmd.SetArgs(args[1:])
		if err := cmd.Execute(); err != nil {
			t.Fatalf("pod %d: mxscope scan refuses %v: %v", k, args, err)
		}
		if _, _, err := got.validate(); err != nil {
			t.Fatalf("pod %d: %v", k, err)
		}
		shards = append(shards, got.shard)
		if got.shard != (targets.Shard{K: k, N: s.Completions}) {
			t.Errorf("pod %d scans shard %v; want %d/%d (completions %d)", k, got.shard, k, s.Completions, s.Completions)
		}
		if want := fmt.Sprintf("127.0.0.1:%d", port); !slices.Contains(got.Resolvers, want) || len(got.Resolvers) != 1 {
			t.Errorf("pod %d asks resolvers %v; want only its sidecar, %s", k, got.Resolvers, want)
		}
		if got.QPS <= 0 {
			t.Errorf("pod %d sets no --qps: a shard should be polite to authoritative servers", k)
		}
		for _, f := range []string{got.Output, got.Evidence, got.Targets} {
			if !strings.HasPrefix(f, "/data/") {
				t.Errorf("pod %d: %s is not on the shared volume /data", k, f)
			}
		}
		if outputs[got.Output] || outputs[got.Evidence] {
			t.Errorf("pod %d writes %s or %s, which another pod writes too", k, got.Output, got.Evidence)
		}
		outputs[got.Output], outputs[got.Evidence] = true, true
		if got.Format != "jsonl" {
			t.Errorf("pod %d writes %s; merge reads jsonl", k, got.Format)
		}
	}
	if len(shards) != s.Completions {
		t.Errorf("%d shards for %d completions", len(shards), s.Completions)
	}
	if !slices.ContainsFunc(mx.VolumeMounts, func(m struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	}) bool {
		return m.MountPath == "/data"
	}) {
		t.Error("the mxscope container does not mount /data")
	}
}

func TestKubernetesMergeJobMergesTheShardsDirectory(t *testing.T) {
	scan := readJob(t, "scan-job.yaml")
	merge := readJob(t, "merge-job.yaml")
	c := container(t, merge.Spec.Template.Spec.Containers, "merge")
	var got *mergeOptions
	cmd := newMergeCmd(&streams{}, func(_ context.Context, o *mergeOptions) error { got = o; return nil })
	if len(c.Args) == 0 || c.Args[0] != "merge" {
		t.Fatalf("args %v; want the merge command", c.Args)
	}
	cmd.SetArgs(c.Args[1:])
	if err := cmd.Execute(); err != nil {
		t.Fatalf("mxscope merge refuses %v: %v", c.Args, err)
	}
	// It merges the directory the scan pods write to.
	sc := container(t, scan.Spec.Template.Spec.Containers, "mxscope")
	out := ""
	for _, a := range sc.Args {
		if v, ok := strings.CutPrefix(a, "--output="); ok {
			out = filepath.Dir(v)
		}
	}
	if out == "" || !slices.Contains(got.Files, out) {
		t.Errorf("merge reads %v; the scan pods write to %s", got.Files, out)
	}
	if got.Output == "" || got.EvidenceOutput == "" {
		t.Errorf("merge writes report %q and evidence %q; want both", got.Output, got.EvidenceOutput)
	}
}

// The image holds the static binary (and the CA bundle the MTA-STS fetch
// needs) on an empty base, and runs as a non-root user.
func TestDockerfileIsStaticAndNonRoot(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var froms, copies []string
	user, entry := "", ""
	cgoOff := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		word, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(word) {
		case "FROM":
			froms = append(froms, rest)
			copies = nil // only the last stage's copies end up in the image
		case "COPY":
			copies = append(copies, rest)
		case "USER":
			user = rest
		case "ENTRYPOINT":
			entry = rest
		case "RUN":
			if strings.Contains(rest, "CGO_ENABLED=0") && strings.Contains(rest, "go build") {
				cgoOff = true
			}
		}
	}
	if len(froms) < 2 || !strings.HasPrefix(froms[len(froms)-1], "scratch") {
		t.Errorf("stages %v; want a build stage and a final stage FROM scratch", froms)
	}
	if !cgoOff {
		t.Error("the binary is not built with CGO_ENABLED=0 (a static binary on scratch)")
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q; want a non-root user", user)
	}
	if !strings.Contains(entry, "/mxscope") {
		t.Errorf("ENTRYPOINT %s; want /mxscope", entry)
	}
	for _, c := range copies {
		if !strings.HasPrefix(c, "--from=build ") {
			t.Errorf("the final stage copies %q from outside the build stage", c)
		}
	}
	if len(copies) != 2 {
		t.Errorf("the final stage copies %d files (%v); want the binary and the CA bundle", len(copies), copies)
	}
}
