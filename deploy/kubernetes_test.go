package deploy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"grantflow/internal/app"
)

// manifests are the example's objects, decoded strictly into the API's own types: a misspelt or
// misplaced field is an error, as kubectl's server-side validation would make it.
type manifests struct {
	deployments map[string]*appsv1.Deployment
	jobs        map[string]*batchv1.Job
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	files       []string
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{deployments: map[string]*appsv1.Deployment{}, jobs: map[string]*batchv1.Job{},
		services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{}}
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	separator := regexp.MustCompile(`(?m)^---\s*$`)
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		m.files = append(m.files, filepath.Base(f))
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range separator.Split(string(src), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var head struct{ Kind string }
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var obj any
			switch head.Kind {
			case "Deployment":
				obj = &appsv1.Deployment{}
			case "Job":
				obj = &batchv1.Job{}
			case "Service":
				obj = &corev1.Service{}
			case "ConfigMap":
				obj = &corev1.ConfigMap{}
			default:
				t.Fatalf("%s: a %q the test does not check", f, head.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s: %s: %v", f, head.Kind, err)
			}
			switch o := obj.(type) {
			case *appsv1.Deployment:
				m.deployments[o.Name] = o
			case *batchv1.Job:
				m.jobs[o.Name] = o
			case *corev1.Service:
				m.services[o.Name] = o
			case *corev1.ConfigMap:
				m.configMaps[o.Name] = o
			}
		}
	}
	return m
}

func stripComments(doc string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func TestKubernetesManifests(t *testing.T) {
	m := loadManifests(t)

	var kust struct {
		Resources []string `json:"resources"`
	}
	src, err := os.ReadFile("kubernetes/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(src, &kust); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sortedCopy(kust.Resources), sortedCopy(m.files)) {
		t.Errorf("kustomization lists %v; the directory holds %v", kust.Resources, m.files)
	}

	cm := m.configMaps["grantflow"]
	if cm == nil {
		t.Fatal("no ConfigMap grantflow")
	}
	for k := range cm.Data {
		if !knownVariable(k) {
			t.Errorf("ConfigMap sets %s, which the application does not read", k)
		}
	}

	http, worker, migrate := m.deployments["grantflow-http"], m.deployments["grantflow-worker"], m.jobs["grantflow-migrate"]
	if http == nil || worker == nil || migrate == nil {
		t.Fatalf("want Deployments grantflow-http and grantflow-worker and Job grantflow-migrate; have %v, %v", keys(m.deployments), keys(m.jobs))
	}
	pods := map[string]corev1.PodSpec{"grantflow-http": http.Spec.Template.Spec, "grantflow-worker": worker.Spec.Template.Spec, "grantflow-migrate": migrate.Spec.Template.Spec}
	args := map[string][]string{"grantflow-http": {"http"}, "grantflow-worker": {"worker"}, "grantflow-migrate": {"migrate"}}

	for name, pod := range pods {
		if len(pod.Containers) != 1 {
			t.Fatalf("%s: %d containers; want 1", name, len(pod.Containers))
		}
		c := pod.Containers[0]
		if !slices.Equal(c.Args, args[name]) {
			t.Errorf("%s runs %v; want %v", name, c.Args, args[name])
		}
		if _, tag, ok := strings.Cut(c.Image, ":"); !ok || tag == "" || tag == "latest" {
			t.Errorf("%s: image %q is not pinned to a version", name, c.Image)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %+v; want CPU and memory requests and a memory limit", name, c.Resources)
		}
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
			t.Errorf("%s does not insist on a non-root user", name)
		}
		set := map[string]bool{}
		for k := range cm.Data {
			set[k] = true
		}
		if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != "grantflow" {
			t.Errorf("%s does not take its settings from the ConfigMap grantflow", name)
		}
		for _, e := range c.Env {
			if !knownVariable(e.Name) {
				t.Errorf("%s sets %s, which the application does not read", name, e.Name)
			}
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != "grantflow" || e.ValueFrom.SecretKeyRef.Key != e.Name {
				t.Errorf("%s: %s should come from the Secret grantflow's key of the same name", name, e.Name)
			}
			set[e.Name] = true
		}
		if name == "grantflow-migrate" {
			if !set["MIGRATE_DATABASE_URL"] {
				t.Error("the migrate Job does not set MIGRATE_DATABASE_URL, the schema owner's connection")
			}
			continue
		}
		if set["MIGRATE_DATABASE_URL"] {
			t.Errorf("%s holds the schema owner's connection; only the migrate Job needs it", name)
		}
		for _, k := range app.ProductionVariables {
			if !set[k] {
				t.Errorf("%s does not set %s, which production needs", name, k)
			}
		}
		probe := func(p *corev1.Probe, path string) {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.TimeoutSeconds == 0 {
				t.Errorf("%s: probe %+v; want GET %s with a timeout", name, p, path)
				return
			}
			if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
				return cp.Name == p.HTTPGet.Port.String() && cp.ContainerPort == 8080
			}) {
				t.Errorf("%s: the probe's port %s is not the container's PORT 8080", name, p.HTTPGet.Port.String())
			}
		}
		probe(c.ReadinessProbe, "/readyz")
		probe(c.LivenessProbe, "/livez")
		if cm.Data["PORT"] != "8080" {
			t.Errorf("ConfigMap PORT %q; the probes ask 8080", cm.Data["PORT"])
		}
	}

	if r := worker.Spec.Replicas; r == nil || *r != 2 {
		t.Errorf("workers: %v replicas; want 2", r)
	}
	stop, err := time.ParseDuration(cm.Data["WORKER_STOP_TIMEOUT"])
	if err != nil {
		t.Fatalf("ConfigMap WORKER_STOP_TIMEOUT: %v", err)
	}
	if g := worker.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= stop {
		t.Errorf("the workers' terminationGracePeriodSeconds must exceed WORKER_STOP_TIMEOUT %s, or the kubelet kills a draining worker", stop)
	}
	svc := m.services["grantflow-http"]
	if svc == nil || svc.Spec.Selector["app.kubernetes.io/name"] != http.Spec.Template.Labels["app.kubernetes.io/name"] {
		t.Error("the Service grantflow-http does not select the HTTP Deployment's pods")
	}
	for name, d := range m.deployments {
		if !mapsEqual(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("%s: selector %v does not match its pods' labels %v", name, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
		}
	}

	// The settings as a pod sees them are ones LoadConfig accepts (secrets stand in with examples).
	for k, v := range cm.Data {
		if slices.Contains(app.ConfigVariables, k) {
			t.Setenv(k, v)
		}
	}
	t.Setenv("DATABASE_URL", "postgres://grantflow_app:secret@db.example.org:5432/grantflow?sslmode=verify-full")
	t.Setenv("SMTP_URL", "smtp://grants:secret@smtp.example.org:587")
	t.Setenv("SECOND_FACTOR_KEY", "q83vEjRWeJq7zN4xK1mYc2VhZ3Jhbn0mZmxvdyEhISE=")
	if _, err := app.LoadConfig(); err != nil {
		t.Errorf("LoadConfig refuses the ConfigMap's settings: %v", err)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
