package kubernetes

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/s3commit/s3commit/examples/internal/datajob"
)

// The parts of the Kubernetes and Argo objects the test reads. Fields the
// test does not know are ignored.
type (
	object struct {
		file       string
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   objectMeta        `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
		Spec       yaml.Node         `yaml:"spec"`
	}
	objectMeta struct {
		Name         string `yaml:"name"`
		GenerateName string `yaml:"generateName"`
	}
	nameRef struct {
		Name string `yaml:"name"`
	}
	keyRef struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key"`
	}
	envVar struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
			SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	}
	envFromSource struct {
		Prefix       string   `yaml:"prefix"`
		ConfigMapRef *nameRef `yaml:"configMapRef"`
		SecretRef    *nameRef `yaml:"secretRef"`
	}
	volumeMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	}
	container struct {
		Name         string          `yaml:"name"`
		Image        string          `yaml:"image"`
		Command      []string        `yaml:"command"`
		Args         []string        `yaml:"args"`
		Env          []envVar        `yaml:"env"`
		EnvFrom      []envFromSource `yaml:"envFrom"`
		VolumeMounts []volumeMount   `yaml:"volumeMounts"`
	}
	volume struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
		ConfigMap *nameRef `yaml:"configMap"`
		Secret    *struct {
			SecretName string `yaml:"secretName"`
		} `yaml:"secret"`
		EmptyDir *struct{} `yaml:"emptyDir"`
	}
	podSpec struct {
		RestartPolicy  string      `yaml:"restartPolicy"`
		InitContainers []container `yaml:"initContainers"`
		Containers     []container `yaml:"containers"`
		Volumes        []volume    `yaml:"volumes"`
	}
	jobSpec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    *int   `yaml:"completions"`
		Template       struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	}
	pvcSpec struct {
		AccessModes []string `yaml:"accessModes"`
	}
	parameter struct {
		Name  string  `yaml:"name"`
		Value *string `yaml:"value"`
	}
	workflowStep struct {
		Name      string `yaml:"name"`
		Template  string `yaml:"template"`
		Arguments struct {
			Parameters []parameter `yaml:"parameters"`
		} `yaml:"arguments"`
		WithSequence *struct {
			Count string `yaml:"count"`
		} `yaml:"withSequence"`
		WithItems *yaml.Node `yaml:"withItems"`
		WithParam string     `yaml:"withParam"`
	}
	workflowTemplate struct {
		Name   string `yaml:"name"`
		Inputs struct {
			Parameters []parameter `yaml:"parameters"`
		} `yaml:"inputs"`
		Steps     [][]workflowStep `yaml:"steps"`
		Container *container       `yaml:"container"`
		Script    *yaml.Node       `yaml:"script"`
		DAG       *yaml.Node       `yaml:"dag"`
		Resource  *yaml.Node       `yaml:"resource"`
	}
	workflowSpec struct {
		Entrypoint string `yaml:"entrypoint"`
		OnExit     string `yaml:"onExit"`
		Arguments  struct {
			Parameters []parameter `yaml:"parameters"`
		} `yaml:"arguments"`
		Volumes   []volume           `yaml:"volumes"`
		Templates []workflowTemplate `yaml:"templates"`
	}
)

func (o *object) String() string {
	name := o.Metadata.Name
	if name == "" {
		name = o.Metadata.GenerateName + "*"
	}
	return o.file + ": " + o.Kind + " " + name
}

// manifests holds every object of the directory's YAML files, by kind and
// name.
type manifests struct {
	all        []*object
	configMaps map[string]*object
	secrets    map[string]*object
	pvcs       map[string]pvcSpec
}

// knownKinds are the kinds the test understands; any other kind in a
// manifest fails the test, so that a new manifest does not go unchecked.
var knownKinds = map[string]string{
	"PersistentVolumeClaim": "v1",
	"ConfigMap":             "v1",
	"Secret":                "v1",
	"Job":                   "batch/v1",
	"Workflow":              "argoproj.io/v1alpha1",
}

// variant is one set of manifests, applied alone: a directory's YAML
// files and the files of other directories it applies too.
type variant struct {
	name string // its subtest name
	dir  string // its directory, relative to this package's
	// shared are files of other directories the variant applies too,
	// relative to this package's directory.
	shared []string
	// inBucket says that the staging dir is in the bucket: no pod mounts
	// a PersistentVolumeClaim, and the variant defines none.
	inBucket bool
}

// variants are the sets of manifests of the directory: the staging dir on
// a ReadWriteMany volume, and in the bucket with no shared volume.
var variants = []variant{
	{name: "shared-volume", dir: "."},
	{name: "bucket-staging", dir: "bucket-staging", shared: []string{"s3-config.yaml", "run-config.yaml"}, inBucket: true},
}

// files returns the manifest files of the variant.
func (v variant) files(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(v.dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no manifest in %s", v.dir)
	return append(files, v.shared...)
}

func loadManifests(t *testing.T, v variant) *manifests {
	t.Helper()
	m := &manifests{configMaps: map[string]*object{}, secrets: map[string]*object{}, pvcs: map[string]pvcSpec{}}
	for _, file := range v.files(t) {
		f, err := os.Open(file)
		require.NoError(t, err)
		dec := yaml.NewDecoder(f)
		for {
			o := &object{file: file}
			err := dec.Decode(o)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, "%s: parse", file)
			if o.Kind == "" && o.Metadata.Name == "" {
				continue // an empty document
			}
			api, ok := knownKinds[o.Kind]
			require.True(t, ok, "%s: kind %q is unknown to this test; teach it the kind", o, o.Kind)
			require.Equal(t, api, o.APIVersion, "%s: apiVersion", o)
			if o.Kind != "Workflow" {
				require.NotEmpty(t, o.Metadata.Name, "%s: metadata.name", o)
			}
			switch o.Kind {
			case "ConfigMap":
				require.NotContains(t, m.configMaps, o.Metadata.Name, "%s: defined twice", o)
				m.configMaps[o.Metadata.Name] = o
			case "Secret":
				require.NotContains(t, m.secrets, o.Metadata.Name, "%s: defined twice", o)
				m.secrets[o.Metadata.Name] = o
			case "PersistentVolumeClaim":
				var spec pvcSpec
				require.NoError(t, o.Spec.Decode(&spec), "%s: spec", o)
				m.pvcs[o.Metadata.Name] = spec
			}
			m.all = append(m.all, o)
		}
		require.NoError(t, f.Close())
	}
	return m
}

// secretData returns the decoded keys and values of a Secret.
func secretData(t *testing.T, o *object) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range o.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		require.NoError(t, err, "%s: data.%s is not base64", o, k)
		out[k] = string(b)
	}
	for k, v := range o.StringData {
		out[k] = v
	}
	return out
}

// dockerfile is what the test reads from the Dockerfile.
type dockerfile struct {
	entrypoint []string
	text       string
}

func loadDockerfile(t *testing.T) dockerfile {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	d := dockerfile{text: string(b)}
	for line := range strings.Lines(d.text) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "ENTRYPOINT "); ok {
			require.NoError(t, json.Unmarshal([]byte(rest), &d.entrypoint), "Dockerfile: ENTRYPOINT in exec form, a JSON array")
		}
	}
	require.Len(t, d.entrypoint, 1, "Dockerfile: ENTRYPOINT is the binary alone")
	return d
}

func TestDockerfile(t *testing.T) {
	d := loadDockerfile(t)
	built := regexp.MustCompile(`cd examples && go build [^\n]*-o (\S+) \./datajob\b`).FindStringSubmatch(d.text)
	require.NotNil(t, built, "Dockerfile builds ./datajob in the examples module")
	assert.Equal(t, path.Base(d.entrypoint[0]), path.Base(built[1]), "the ENTRYPOINT is the datajob binary")
	assert.Contains(t, d.text, "CGO_ENABLED=0", "a static binary")
	assert.Regexp(t, `(?m)^FROM (gcr\.io/distroless/static\S*|scratch)\s*$`, d.text, "the last stage has no libc")
}

// workload is one container of a manifest, as its pod sees it.
type workload struct {
	name  string // the subtest's name
	owner *object
	// flow is the run the container belongs to: every Job of the
	// directory forms one run, each Workflow another.
	flow        string
	c           container
	volumes     []volume
	args        []string // with Argo's {{...}} substituted
	indexed     bool     // a pod of an Indexed Job
	completions int
}

// jobWorkloads returns the containers of a Job.
func jobWorkloads(t *testing.T, o *object) []workload {
	t.Helper()
	var spec jobSpec
	require.NoError(t, o.Spec.Decode(&spec), "%s: spec", o)
	pod := spec.Template.Spec
	require.NotEmpty(t, pod.Containers, "%s: no container", o)
	require.Contains(t, []string{"Never", "OnFailure"}, pod.RestartPolicy, "%s: a Job's restartPolicy", o)
	var out []workload
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		w := workload{
			name: o.file + "/" + c.Name, owner: o, flow: "the Jobs",
			c: c, volumes: pod.Volumes, args: c.Args,
			indexed: spec.CompletionMode == "Indexed",
		}
		if w.indexed {
			require.NotNil(t, spec.Completions, "%s: an Indexed Job needs completions", o)
			w.completions = *spec.Completions
		}
		out = append(out, w)
	}
	return out
}

// argoTemplateRef matches an Argo expression, {{...}}.
var argoTemplateRef = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// argoRender substitutes Argo's {{...}} expressions in s the way the
// workflow controller does: from the workflow's parameters, the
// template's inputs, the step's item and the workflow's name and UID. An
// expression the test cannot resolve is an error.
func argoRender(s string, params, inputs map[string]string, item *string) (string, error) {
	var errs []error
	out := argoTemplateRef.ReplaceAllStringFunc(s, func(m string) string {
		expr := argoTemplateRef.FindStringSubmatch(m)[1]
		var (
			v  string
			ok bool
		)
		switch {
		case expr == "workflow.uid":
			v, ok = "3f1c9a52-7d4e-4b8a-9c61-2e5f0a7b8d90", true
		case expr == "workflow.name":
			v, ok = "datajob-x7k2p", true
		case expr == "item":
			if item != nil {
				v, ok = *item, true
			}
		case strings.HasPrefix(expr, "workflow.parameters."):
			v, ok = params[strings.TrimPrefix(expr, "workflow.parameters.")]
		case strings.HasPrefix(expr, "inputs.parameters."):
			v, ok = inputs[strings.TrimPrefix(expr, "inputs.parameters.")]
		}
		if !ok {
			errs = append(errs, fmt.Errorf("%s is not defined there", m))
			return m
		}
		return v
	})
	return out, errors.Join(errs...)
}

// workflowRun is what the test gathers from a Workflow.
type workflowRun struct {
	workloads []workload
	// main and exit are the datajob subcommands of the entrypoint and of
	// the exit handler, in the order of their steps.
	main, exit []string
	// taskPods is the number of task containers the workflow runs.
	taskPods int
}

// workflowWorkloads walks a Workflow from its entrypoint and exit handler
// and returns every container it runs, once per invocation (each item of
// a withSequence), with its arguments rendered.
func workflowWorkloads(t *testing.T, o *object) workflowRun {
	t.Helper()
	var spec workflowSpec
	require.NoError(t, o.Spec.Decode(&spec), "%s: spec", o)
	params := map[string]string{}
	for _, p := range spec.Arguments.Parameters {
		require.NotNil(t, p.Value, "%s: parameter %s needs a default value", o, p.Name)
		params[p.Name] = *p.Value
	}
	templates := map[string]*workflowTemplate{}
	for i := range spec.Templates {
		tp := &spec.Templates[i]
		require.NotContains(t, templates, tp.Name, "%s: template %s defined twice", o, tp.Name)
		require.True(t, tp.Script == nil && tp.DAG == nil && tp.Resource == nil,
			"%s: template %s: the test knows container and steps templates only", o, tp.Name)
		templates[tp.Name] = tp
	}
	var run workflowRun
	used := map[string]bool{}
	var walk func(name string, inputs map[string]string, subs *[]string)
	walk = func(name string, inputs map[string]string, subs *[]string) {
		tp, ok := templates[name]
		require.True(t, ok, "%s: template %q is not defined", o, name)
		used[name] = true
		for _, in := range tp.Inputs.Parameters {
			if _, given := inputs[in.Name]; !given {
				require.NotNil(t, in.Value, "%s: template %s: input %s is neither given nor defaulted", o, name, in.Name)
				inputs[in.Name] = *in.Value
			}
		}
		if tp.Container != nil {
			c := *tp.Container
			args := make([]string, len(c.Args))
			for i, a := range c.Args {
				r, err := argoRender(a, params, inputs, nil)
				require.NoError(t, err, "%s: template %s: argument %q", o, name, a)
				args[i] = r
			}
			c.Env = slices.Clone(c.Env)
			for i := range c.Env {
				r, err := argoRender(c.Env[i].Value, params, inputs, nil)
				require.NoError(t, err, "%s: template %s: env %s", o, name, c.Env[i].Name)
				c.Env[i].Value = r
			}
			keys := make([]string, 0, len(inputs))
			for k, v := range inputs {
				keys = append(keys, k+"="+v)
			}
			sort.Strings(keys)
			wname := o.file + "/" + name
			if len(keys) > 0 {
				wname += "[" + strings.Join(keys, ",") + "]"
			}
			run.workloads = append(run.workloads, workload{
				name: wname, owner: o, flow: o.String(),
				c: c, volumes: spec.Volumes, args: args,
			})
			if len(args) > 0 {
				*subs = append(*subs, args[0])
			}
			return
		}
		require.NotEmpty(t, tp.Steps, "%s: template %s has neither a container nor steps", o, name)
		for _, group := range tp.Steps {
			for _, step := range group {
				require.True(t, step.WithItems == nil && step.WithParam == "",
					"%s: step %s: the test knows withSequence only", o, step.Name)
				items := []*string{nil}
				if step.WithSequence != nil {
					count, err := argoRender(step.WithSequence.Count, params, inputs, nil)
					require.NoError(t, err, "%s: step %s: withSequence", o, step.Name)
					n, err := strconv.Atoi(count)
					require.NoError(t, err, "%s: step %s: withSequence count", o, step.Name)
					require.Positive(t, n, "%s: step %s: withSequence count", o, step.Name)
					items = nil
					for i := range n {
						s := strconv.Itoa(i)
						items = append(items, &s)
					}
				}
				for i, item := range items {
					stepInputs := map[string]string{}
					for _, p := range step.Arguments.Parameters {
						require.NotNil(t, p.Value, "%s: step %s: argument %s has no value", o, step.Name, p.Name)
						v, err := argoRender(*p.Value, params, inputs, item)
						require.NoError(t, err, "%s: step %s: argument %s", o, step.Name, p.Name)
						stepInputs[p.Name] = v
					}
					// The subcommands of a step are listed once, however
					// many items it runs.
					into := subs
					if i > 0 {
						into = new([]string)
					}
					walk(step.Template, stepInputs, into)
				}
			}
		}
	}
	require.NotEmpty(t, spec.Entrypoint, "%s: entrypoint", o)
	walk(spec.Entrypoint, map[string]string{}, &run.main)
	if spec.OnExit != "" {
		walk(spec.OnExit, map[string]string{}, &run.exit)
	}
	for name := range templates {
		assert.True(t, used[name], "%s: template %s is never run", o, name)
	}
	for _, w := range run.workloads {
		if len(w.args) > 0 && w.args[0] == "task" {
			run.taskPods++
		}
	}
	return run
}

// containerEnv returns the environment variables of a container, with the
// values the test can know: ConfigMap values, Secret values, literal
// values. It fails the test for a reference to a ConfigMap, Secret or key
// that the manifests do not define.
func containerEnv(t *testing.T, m *manifests, w workload) map[string]string {
	t.Helper()
	env := map[string]string{}
	if w.indexed {
		env["JOB_COMPLETION_INDEX"] = "0"
	}
	for _, from := range w.c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm, ok := m.configMaps[from.ConfigMapRef.Name]
			require.True(t, ok, "envFrom: ConfigMap %q is not defined in the manifests", from.ConfigMapRef.Name)
			require.NotEmpty(t, cm.Data, "envFrom: ConfigMap %q is empty", from.ConfigMapRef.Name)
			for k, v := range cm.Data {
				env[from.Prefix+k] = v
			}
		case from.SecretRef != nil:
			s, ok := m.secrets[from.SecretRef.Name]
			require.True(t, ok, "envFrom: Secret %q is not defined in the manifests", from.SecretRef.Name)
			data := secretData(t, s)
			require.NotEmpty(t, data, "envFrom: Secret %q is empty", from.SecretRef.Name)
			for k, v := range data {
				env[from.Prefix+k] = v
			}
		default:
			t.Fatalf("envFrom: neither a configMapRef nor a secretRef")
		}
	}
	for _, e := range w.c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := m.configMaps[ref.Name]
			require.True(t, ok, "env %s: ConfigMap %q is not defined in the manifests", e.Name, ref.Name)
			v, ok := cm.Data[ref.Key]
			require.True(t, ok, "env %s: ConfigMap %q has no key %q", e.Name, ref.Name, ref.Key)
			env[e.Name] = v
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, ok := m.secrets[ref.Name]
			require.True(t, ok, "env %s: Secret %q is not defined in the manifests", e.Name, ref.Name)
			v, ok := secretData(t, s)[ref.Key]
			require.True(t, ok, "env %s: Secret %q has no key %q", e.Name, ref.Name, ref.Key)
			env[e.Name] = v
		default:
			t.Fatalf("env %s: valueFrom the test does not know", e.Name)
		}
	}
	return env
}

// kubeVarRef matches a variable reference the kubelet expands in a
// container's command and arguments.
var kubeVarRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expandVars expands $(VAR) as the kubelet does. An undefined variable,
// which the kubelet would leave as it is, is an error.
func expandVars(s string, env map[string]string) (string, error) {
	var errs []error
	out := kubeVarRef.ReplaceAllStringFunc(s, func(m string) string {
		name := kubeVarRef.FindStringSubmatch(m)[1]
		v, ok := env[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: the container defines no variable %s", m, name))
			return m
		}
		return v
	})
	return out, errors.Join(errs...)
}

// parsedArgs is a datajob command line taken apart: subcommand, flags
// given as --name=value (or --name for a boolean) and positional args.
type parsedArgs struct {
	sub    string
	flags  map[string]string
	inputs []string
}

func parseArgs(t *testing.T, args []string) parsedArgs {
	t.Helper()
	require.NotEmpty(t, args, "no arguments: the subcommand is missing")
	p := parsedArgs{sub: args[0], flags: map[string]string{}}
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			p.inputs = append(p.inputs, a)
			continue
		}
		require.True(t, strings.HasPrefix(a, "--"), "%q: write flags with two dashes", a)
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok {
			value = "true"
		}
		require.NotContains(t, p.flags, name, "flag --%s given twice", name)
		p.flags[name] = value
	}
	return p
}

// under reports whether path p is dir or lies under it.
func under(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// flowFlags are the settings every step of one run must agree on.
var flowFlags = []string{"dest", "staging-dir", "job-id", "mode", "conflict", "tasks"}

// collectWorkloads returns the manifests of a variant, every container
// they run and the runs of the Workflows, by the Workflow's String.
func collectWorkloads(t *testing.T, v variant) (*manifests, []workload, map[string]workflowRun) {
	t.Helper()
	m := loadManifests(t, v)
	var (
		workloads []workload
		runs      = map[string]workflowRun{}
	)
	for _, o := range m.all {
		switch o.Kind {
		case "Job":
			workloads = append(workloads, jobWorkloads(t, o)...)
		case "Workflow":
			run := workflowWorkloads(t, o)
			runs[o.String()] = run
			workloads = append(workloads, run.workloads...)
		}
	}
	require.NotEmpty(t, workloads)
	return m, workloads, runs
}

func TestManifests(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) { testManifests(t, v) })
	}
}

func testManifests(t *testing.T, v variant) {
	m, workloads, runs := collectWorkloads(t, v)
	docker := loadDockerfile(t)
	if v.inBucket {
		assert.Empty(t, m.pvcs, "the variant with the staging dir in the bucket defines no PersistentVolumeClaim")
	}

	// The flags of each container, by flow, for the checks across steps.
	type step struct {
		name  string
		args  parsedArgs
		w     workload
		image string
	}
	flows := map[string][]step{}

	for _, w := range workloads {
		t.Run(w.name, func(t *testing.T) {
			c := w.c
			require.Equal(t, docker.entrypoint, c.Command, "the command is the image's datajob (the Dockerfile's ENTRYPOINT)")
			require.NotEmpty(t, c.Image, "image")

			// Kubernetes passes the arguments with $(VAR) still in them
			// to the kubelet: they must parse as they are...
			require.NoError(t, datajob.CheckArgs(w.args), "datajob %s", strings.Join(w.args, " "))
			// ...and once the kubelet has expanded them with the values
			// of the manifests.
			env := containerEnv(t, m, w)
			final := make([]string, len(w.args))
			for i, a := range w.args {
				v, err := expandVars(a, env)
				require.NoError(t, err, "argument %q", a)
				final[i] = v
			}
			for _, a := range c.Command {
				require.NotRegexp(t, kubeVarRef, a, "the command refers to no variable")
			}
			require.NoError(t, datajob.CheckArgs(final), "datajob %s", strings.Join(final, " "))
			args := parseArgs(t, final)
			require.Contains(t, datajob.Subcommands(), args.sub)

			// Every mount is a volume of the pod, and every volume refers
			// to an object the manifests define.
			volumes := map[string]volume{}
			for _, v := range w.volumes {
				volumes[v.Name] = v
			}
			pvcOf := map[string]string{} // mount path -> claim
			for _, vm := range c.VolumeMounts {
				require.True(t, path.IsAbs(vm.MountPath), "mount %s: mountPath %q is not absolute", vm.Name, vm.MountPath)
				v, ok := volumes[vm.Name]
				require.True(t, ok, "mount %s: the pod has no volume %q", vm.MountPath, vm.Name)
				switch {
				case v.PersistentVolumeClaim != nil:
					_, ok := m.pvcs[v.PersistentVolumeClaim.ClaimName]
					require.True(t, ok, "volume %s: PersistentVolumeClaim %q is not defined in the manifests", v.Name, v.PersistentVolumeClaim.ClaimName)
					pvcOf[vm.MountPath] = v.PersistentVolumeClaim.ClaimName
				case v.ConfigMap != nil:
					require.Contains(t, m.configMaps, v.ConfigMap.Name, "volume %s: ConfigMap is not defined in the manifests", v.Name)
				case v.Secret != nil:
					require.Contains(t, m.secrets, v.Secret.SecretName, "volume %s: Secret is not defined in the manifests", v.Name)
				case v.EmptyDir != nil:
				default:
					t.Fatalf("volume %s: a kind of volume the test does not know", v.Name)
				}
			}

			// The paths the job reads and writes lie on mounted volumes;
			// the staging dir on a ReadWriteMany claim, which the driver
			// steps and every task share.
			mountOf := func(p string) (string, bool) {
				best := ""
				for _, vm := range c.VolumeMounts {
					if under(p, vm.MountPath) && len(vm.MountPath) > len(best) {
						best = vm.MountPath
					}
				}
				return best, best != ""
			}
			if v.inBucket {
				for _, vol := range w.volumes {
					assert.Nil(t, vol.PersistentVolumeClaim, "volume %s: no volume of the pod is a PersistentVolumeClaim: nothing but the store is shared", vol.Name)
				}
				require.True(t, strings.HasPrefix(args.flags["staging-dir"], "s3://"), "--staging-dir %s is in the bucket", args.flags["staging-dir"])
			}
			for _, flag := range []string{"staging-dir", "buffer-dir"} {
				p, given := args.flags[flag]
				if !given {
					continue
				}
				if flag == "staging-dir" && strings.HasPrefix(p, "s3://") {
					checkStagingInBucket(t, p, args.flags["dest"])
					continue
				}
				require.True(t, path.IsAbs(p) && path.Clean(p) == p, "--%s %q: a clean absolute path", flag, p)
				mount, ok := mountOf(p)
				require.True(t, ok, "--%s %s lies under no volumeMount of the container, so it would be lost with the pod", flag, p)
				if flag == "staging-dir" {
					claim, ok := pvcOf[mount]
					require.True(t, ok, "--staging-dir %s is on %s, which is no PersistentVolumeClaim: the pods would not share it", p, mount)
					assert.Contains(t, m.pvcs[claim].AccessModes, "ReadWriteMany", "--staging-dir %s: claim %s is shared by every pod of the job", p, claim)
				}
			}
			for _, in := range args.inputs {
				require.True(t, path.IsAbs(in), "input %q: an absolute path", in)
				_, ok := mountOf(in)
				require.True(t, ok, "input %s lies under no volumeMount of the container", in)
			}

			// A task takes its index from --task-index or, in an Indexed
			// Job, from JOB_COMPLETION_INDEX; the Job then runs one pod
			// per task.
			if args.sub == "task" {
				tasks, err := strconv.Atoi(args.flags["tasks"])
				require.NoError(t, err, "task: --tasks is given")
				if _, given := args.flags["task-index"]; !given {
					require.True(t, w.indexed, "task without --task-index runs in an Indexed Job (JOB_COMPLETION_INDEX)")
					require.Equal(t, tasks, w.completions, "the Indexed Job's completions equal --tasks")
				}
			}
			flows[w.flow] = append(flows[w.flow], step{name: w.name, args: args, w: w, image: c.Image})
		})
	}

	// The steps of one run agree on the job: the same destination,
	// staging dir, job ID, mode, conflict mode and number of tasks; and
	// every container runs the same image.
	for flow, steps := range flows {
		t.Run("run of "+flow, func(t *testing.T) {
			first := steps[0]
			subs := map[string]bool{}
			for _, s := range steps {
				subs[s.args.sub] = true
				assert.Equal(t, first.image, s.image, "%s and %s run the same image", first.name, s.name)
				for _, f := range flowFlags {
					v, ok := s.args.flags[f]
					if !assert.True(t, ok, "%s: --%s is given, as in every step of the run", s.name, f) {
						continue
					}
					assert.Equal(t, first.args.flags[f], v, "--%s of %s and %s", f, first.name, s.name)
				}
			}
			for _, sub := range []string{"setup", "task", "commit", "abort"} {
				assert.True(t, subs[sub], "the run has a %s step", sub)
			}
			if run, ok := runs[flow]; ok {
				assert.Equal(t, []string{"setup", "task", "commit"}, run.main, "the workflow's steps")
				assert.Equal(t, []string{"abort"}, run.exit, "the workflow's exit handler")
				tasks, err := strconv.Atoi(first.args.flags["tasks"])
				require.NoError(t, err)
				assert.Equal(t, tasks, run.taskPods, "the workflow runs one task pod per task")
			}
		})
	}
}

// checkStagingInBucket checks a --staging-dir in the bucket: an
// s3://BUCKET/PREFIX on the destination's bucket (the job makes no second
// store) whose prefix lies outside the destination's.
func checkStagingInBucket(t *testing.T, stagingDir, dest string) {
	t.Helper()
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(stagingDir, "s3://"), "/")
	destBucket, destPrefix, _ := strings.Cut(strings.TrimPrefix(dest, "s3://"), "/")
	prefix, destPrefix = strings.Trim(prefix, "/"), strings.Trim(destPrefix, "/")
	require.NotEmpty(t, prefix, "--staging-dir %s: a prefix of the bucket", stagingDir)
	assert.Equal(t, destBucket, bucket, "--staging-dir %s is on the bucket of --dest %s", stagingDir, dest)
	assert.False(t, strings.HasPrefix(prefix+"/", destPrefix+"/") || strings.HasPrefix(destPrefix+"/", prefix+"/"),
		"--staging-dir %s lies outside --dest %s", stagingDir, dest)
}

// TestReadme checks that the directory's README.md names every manifest,
// those of a variant's directory with their directory.
func TestReadme(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, v := range variants {
		files, err := filepath.Glob(filepath.Join(v.dir, "*.yaml"))
		require.NoError(t, err)
		for _, f := range files {
			assert.True(t, strings.Contains(string(b), filepath.ToSlash(f)), "README.md names %s", filepath.ToSlash(f))
		}
	}
	assert.True(t, strings.Contains(string(b), "Dockerfile"), "README.md names the Dockerfile")
}

// TestVariantsAgree checks that each file of a variant in a directory of
// its own is the file of the same name of the directory's first variant
// with only the staging dir, the buffer dir and their volumes changed:
// the variants cannot drift apart in anything else (retries, resources,
// security settings, the job's flags).
func TestVariantsAgree(t *testing.T) {
	base := variants[0]
	for _, v := range variants[1:] {
		files, err := filepath.Glob(filepath.Join(v.dir, "*.yaml"))
		require.NoError(t, err)
		for _, f := range files {
			t.Run(filepath.ToSlash(f), func(t *testing.T) {
				want := withoutStagingAndBuffer(t, filepath.Join(base.dir, filepath.Base(f)))
				got := withoutStagingAndBuffer(t, f)
				assert.Equal(t, want, got, "%s differs from %s in more than the staging dir, the buffer dir and their volumes",
					f, filepath.Join(base.dir, filepath.Base(f)))
			})
		}
	}
}

// stagingVolumes are the volumes that hold the staging and buffer dirs in
// the variants.
var stagingVolumes = map[string]bool{"work": true, "buffer": true}

// withoutStagingAndBuffer returns the documents of a manifest file with
// the --staging-dir and --buffer-dir arguments and the volumes (and
// mounts) named in stagingVolumes left out.
func withoutStagingAndBuffer(t *testing.T, file string) []any {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var docs []any
	dec := yaml.NewDecoder(f)
	for {
		var doc any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "%s: parse", file)
		docs = append(docs, strip(doc))
	}
	return docs
}

func strip(n any) any {
	switch n := n.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range n {
			switch k {
			case "args":
				var args []any
				for _, a := range v.([]any) {
					s, _ := a.(string)
					if !strings.HasPrefix(s, "--staging-dir") && !strings.HasPrefix(s, "--buffer-dir") {
						args = append(args, a)
					}
				}
				out[k] = args
			case "volumes", "volumeMounts":
				var vols []any
				for _, vol := range v.([]any) {
					if m, ok := vol.(map[string]any); !ok || !stagingVolumes[fmt.Sprint(m["name"])] {
						vols = append(vols, strip(vol))
					}
				}
				out[k] = vols
			default:
				out[k] = strip(v)
			}
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = strip(v)
		}
		return out
	}
	return n
}
