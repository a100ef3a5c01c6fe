// Command checkyaml checks the deployment files under deploy/ without a
// cluster, a Docker engine or the network: every YAML file must parse, and the
// Kubernetes manifests and the compose file must be consistent with docparse's
// pipeline (stage names, streams, consumer groups, graceful-stop budgets).
// It is run by scripts/check-deploy.sh:
//
//	go run ./scripts/checkyaml deploy
//
// Each finding is printed as "FAIL file: message"; the exit status is 1 when
// there is any.
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// stageStreams is the pipeline contract: each stage is a consumer group, named
// after the stage, on the stream it consumes (see DESIGN.md).
var stageStreams = map[string]string{
	"split":        "docparse.jobs",
	"classify":     "docparse.pages",
	"ocr-deepseek": "docparse.ocr.deepseek",
	"ocr-nanonets": "docparse.ocr.nanonets",
	"assemble":     "docparse.done",
	"webhook":      "docparse.finished",
}

const defaultShutdown = 30 * time.Second

type doc struct {
	file string
	idx  int
	m    map[string]any
}

type checker struct {
	findings []string
	checked  []string
}

func (c *checker) fail(file, format string, a ...any) {
	c.findings = append(c.findings, fmt.Sprintf("FAIL %s: %s", file, fmt.Sprintf(format, a...)))
}

func (c *checker) ok(format string, a ...any) {
	c.checked = append(c.checked, fmt.Sprintf(format, a...))
}

func main() {
	root := "deploy"
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	c := &checker{}
	files, err := yamlFiles(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkyaml:", err)
		os.Exit(2)
	}
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "checkyaml: no YAML files under", root)
		os.Exit(2)
	}
	all := map[string][]doc{}
	for _, f := range files {
		docs, err := parse(f)
		if err != nil {
			c.fail(f, "not well-formed YAML: %v", err)
			continue
		}
		all[f] = docs
		c.ok("YAML well-formed: %s (%d document(s))", f, len(docs))
	}

	k8sDir := filepath.Join(root, "k8s")
	var k8s []doc
	for _, f := range files {
		if filepath.Dir(f) == k8sDir && filepath.Base(f) != "kustomization.yaml" {
			k8s = append(k8s, all[f]...)
		}
	}
	if _, err := os.Stat(k8sDir); err == nil {
		c.checkKustomization(k8sDir, files, all[filepath.Join(k8sDir, "kustomization.yaml")])
		c.checkK8s(k8s)
	}
	compose := filepath.Join(root, "docker", "docker-compose.yml")
	if docs, ok := all[compose]; ok && len(docs) == 1 {
		c.checkCompose(compose, docs[0].m)
	}

	for _, s := range c.checked {
		fmt.Println("  ok  ", s)
	}
	for _, s := range c.findings {
		fmt.Println(s)
	}
	if len(c.findings) > 0 {
		fmt.Printf("checkyaml: %d finding(s)\n", len(c.findings))
		os.Exit(1)
	}
	fmt.Printf("checkyaml: %d check(s) passed, no findings\n", len(c.checked))
}

func yamlFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func parse(file string) ([]doc, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []doc
	for i := 0; ; i++ {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if v == nil {
			continue // empty document (e.g. a trailing ---)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("document %d: top level is %T, want a mapping", i+1, v)
		}
		docs = append(docs, doc{file: file, idx: i + 1, m: m})
	}
	return docs, nil
}

// get walks a path of map keys and list indexes ("spec", "template", 0, ...).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func (d doc) where() string { return fmt.Sprintf("%s#%d", d.file, d.idx) }

func (c *checker) checkKustomization(dir string, files []string, docs []doc) {
	kf := filepath.Join(dir, "kustomization.yaml")
	if len(docs) != 1 {
		c.fail(kf, "missing or not a single document")
		return
	}
	listed := map[string]bool{}
	for _, r := range list(docs[0].m, "resources") {
		s, _ := r.(string)
		listed[s] = true
		if _, err := os.Stat(filepath.Join(dir, s)); err != nil {
			c.fail(kf, "resource %q does not exist", s)
		}
	}
	for _, f := range files {
		if filepath.Dir(f) == dir && filepath.Base(f) != "kustomization.yaml" && !listed[filepath.Base(f)] {
			c.fail(kf, "%s is not listed in resources", filepath.Base(f))
		}
	}
	c.ok("kustomization.yaml lists exactly the %d manifest files beside it", len(listed))
}

type deployment struct {
	d      doc
	name   string
	labels map[string]any
	stage  string // from `worker --stages X`, "" for the API
	envs   map[string]bool
	cms    []string
}

func (c *checker) checkK8s(docs []doc) {
	byKind := map[string][]doc{}
	configMaps := map[string]map[string]any{}
	secrets := map[string]map[string]bool{}
	for _, d := range docs {
		api, kind, name := str(d.m, "apiVersion"), str(d.m, "kind"), str(d.m, "metadata", "name")
		if api == "" || kind == "" || name == "" {
			c.fail(d.where(), "apiVersion, kind and metadata.name are required (got %q, %q, %q)", api, kind, name)
			continue
		}
		if ns := str(d.m, "metadata", "namespace"); ns != "" {
			c.fail(d.where(), "%s/%s sets metadata.namespace %q; the manifests are namespace-free", kind, name, ns)
		}
		byKind[kind] = append(byKind[kind], d)
		switch kind {
		case "ConfigMap":
			m, _ := get(d.m, "data").(map[string]any)
			configMaps[name] = m
		case "Secret":
			keys := map[string]bool{}
			for _, sect := range []string{"data", "stringData"} {
				m, _ := get(d.m, sect).(map[string]any)
				for k := range m {
					keys[k] = true
				}
			}
			secrets[name] = keys
		}
	}
	c.ok("%d Kubernetes objects have apiVersion, kind, metadata.name and no namespace", len(docs))

	shutdown := defaultShutdown
	if cm, ok := configMaps["docparse-config"]; ok {
		if s, ok := cm["SHUTDOWN_TIMEOUT"].(string); ok {
			if d, err := time.ParseDuration(s); err == nil {
				shutdown = d
			}
		}
	} else {
		c.fail("deploy/k8s", "ConfigMap docparse-config is missing")
	}
	if _, ok := secrets["docparse-secrets"]; !ok {
		c.fail("deploy/k8s", "Secret docparse-secrets is missing")
	} else if !secrets["docparse-secrets"]["REDIS_URL"] {
		c.fail("deploy/k8s", "Secret docparse-secrets has no REDIS_URL")
	}

	deps := map[string]*deployment{}
	stagesSeen := map[string]string{}
	for _, d := range byKind["Deployment"] {
		dep := c.checkDeployment(d, shutdown, configMaps, secrets)
		deps[dep.name] = dep
		if dep.stage != "" {
			if other, dup := stagesSeen[dep.stage]; dup {
				c.fail(d.where(), "stage %s also deployed by %s", dep.stage, other)
			}
			stagesSeen[dep.stage] = dep.name
		}
	}
	for s := range stageStreams {
		if _, ok := stagesSeen[s]; !ok {
			c.fail("deploy/k8s", "no Deployment runs stage %s", s)
		}
	}

	auths := map[string]bool{}
	for _, d := range byKind["TriggerAuthentication"] {
		auths[str(d.m, "metadata", "name")] = true
		if !strings.HasPrefix(str(d.m, "apiVersion"), "keda.sh/") {
			c.fail(d.where(), "TriggerAuthentication apiVersion %q is not keda.sh/*", str(d.m, "apiVersion"))
		}
		for _, r := range list(d.m, "spec", "secretTargetRef") {
			sn, key := str(r, "name"), str(r, "key")
			if keys, ok := secrets[sn]; !ok || !keys[key] {
				c.fail(d.where(), "secretTargetRef %s/%s is not a key of a Secret in the set", sn, key)
			}
			if p := str(r, "parameter"); p == "" {
				c.fail(d.where(), "secretTargetRef without parameter")
			}
		}
	}

	scaled := map[string]bool{}
	for _, d := range byKind["ScaledObject"] {
		c.checkScaledObject(d, deps, auths)
		scaled[str(d.m, "spec", "scaleTargetRef", "name")] = true
	}
	for s, dn := range stagesSeen {
		if !scaled[dn] {
			c.fail("deploy/k8s", "stage %s (Deployment %s) has no ScaledObject", s, dn)
		}
	}

	for _, d := range byKind["Service"] {
		sel, _ := get(d.m, "spec", "selector").(map[string]any)
		if !matchesAny(sel, deps) {
			c.fail(d.where(), "Service %s selects no Deployment's pods", str(d.m, "metadata", "name"))
		} else {
			c.ok("Service %s selects a Deployment's pods", str(d.m, "metadata", "name"))
		}
	}
	for _, d := range byKind["PodDisruptionBudget"] {
		sel, _ := get(d.m, "spec", "selector", "matchLabels").(map[string]any)
		if !matchesAny(sel, deps) {
			c.fail(d.where(), "PodDisruptionBudget %s selects no Deployment's pods", str(d.m, "metadata", "name"))
		} else {
			c.ok("PodDisruptionBudget %s selects a Deployment's pods", str(d.m, "metadata", "name"))
		}
	}
	if len(byKind["PodDisruptionBudget"]) == 0 {
		c.fail("deploy/k8s", "no PodDisruptionBudget")
	}
}

func matchesAny(sel map[string]any, deps map[string]*deployment) bool {
	if len(sel) == 0 {
		return false
	}
	for _, dep := range deps {
		all := true
		for k, v := range sel {
			if dep.labels[k] != v {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (c *checker) checkDeployment(d doc, shutdown time.Duration, cms map[string]map[string]any, secrets map[string]map[string]bool) *deployment {
	dep := &deployment{d: d, name: str(d.m, "metadata", "name"), envs: map[string]bool{}}
	dep.labels, _ = get(d.m, "spec", "template", "metadata", "labels").(map[string]any)
	sel, _ := get(d.m, "spec", "selector", "matchLabels").(map[string]any)
	for k, v := range sel {
		if dep.labels[k] != v {
			c.fail(d.where(), "Deployment %s: selector %s=%v does not match the pod template labels", dep.name, k, v)
		}
	}
	tgps, ok := get(d.m, "spec", "template", "spec", "terminationGracePeriodSeconds").(int)
	if !ok || time.Duration(tgps)*time.Second <= shutdown {
		c.fail(d.where(), "Deployment %s: terminationGracePeriodSeconds (%v) must exceed SHUTDOWN_TIMEOUT (%s)", dep.name, get(d.m, "spec", "template", "spec", "terminationGracePeriodSeconds"), shutdown)
	}
	containers := list(d.m, "spec", "template", "spec", "containers")
	if len(containers) == 0 {
		c.fail(d.where(), "Deployment %s has no containers", dep.name)
		return dep
	}
	ct := containers[0]
	for _, r := range []string{"cpu", "memory"} {
		if get(ct, "resources", "requests", r) == nil || get(ct, "resources", "limits", r) == nil {
			c.fail(d.where(), "Deployment %s: resources.requests and limits need %s", dep.name, r)
		}
	}
	for _, e := range list(ct, "env") {
		dep.envs[str(e, "name")] = true
	}
	for _, e := range list(ct, "envFrom") {
		if n := str(e, "configMapRef", "name"); n != "" {
			if _, ok := cms[n]; !ok {
				c.fail(d.where(), "Deployment %s: envFrom ConfigMap %s is not in the set", dep.name, n)
			}
			for k := range cms[n] {
				dep.envs[k] = true
			}
		}
		if n := str(e, "secretRef", "name"); n != "" {
			if _, ok := secrets[n]; !ok {
				c.fail(d.where(), "Deployment %s: envFrom Secret %s is not in the set", dep.name, n)
			}
			for k := range secrets[n] {
				dep.envs[k] = true
			}
		}
	}
	var args []string
	for _, a := range list(ct, "args") {
		s, _ := a.(string)
		args = append(args, s)
	}
	switch {
	case len(args) >= 1 && args[0] == "api":
		if p := str(ct, "readinessProbe", "httpGet", "path"); p != "/readyz" {
			c.fail(d.where(), "API Deployment %s: readinessProbe path %q, want /readyz", dep.name, p)
		}
		if p := str(ct, "livenessProbe", "httpGet", "path"); p != "/healthz" {
			c.fail(d.where(), "API Deployment %s: livenessProbe path %q, want /healthz", dep.name, p)
		}
		if get(ct, "lifecycle", "preStop") == nil {
			c.fail(d.where(), "API Deployment %s: no preStop hook", dep.name)
		}
		c.ok("Deployment %s: api with /readyz, /healthz, preStop, grace %ds > %s", dep.name, tgps, shutdown)
	case len(args) == 3 && args[0] == "worker" && args[1] == "--stages":
		for _, s := range strings.Split(args[2], ",") {
			if _, ok := stageStreams[s]; !ok {
				c.fail(d.where(), "Deployment %s: unknown stage %q", dep.name, s)
			}
		}
		dep.stage = args[2]
		c.ok("Deployment %s: worker --stages %s, resources set, grace %ds > %s", dep.name, args[2], tgps, shutdown)
	default:
		c.fail(d.where(), "Deployment %s: args %q are neither `api` nor `worker --stages X`", dep.name, args)
	}
	return dep
}

var intString = regexp.MustCompile(`^[0-9]+$`)

func (c *checker) checkScaledObject(d doc, deps map[string]*deployment, auths map[string]bool) {
	name := str(d.m, "metadata", "name")
	if str(d.m, "apiVersion") != "keda.sh/v1alpha1" {
		c.fail(d.where(), "ScaledObject %s: apiVersion %q, want keda.sh/v1alpha1", name, str(d.m, "apiVersion"))
	}
	target := str(d.m, "spec", "scaleTargetRef", "name")
	dep, ok := deps[target]
	if !ok {
		c.fail(d.where(), "ScaledObject %s: scaleTargetRef.name %q is not a Deployment in the set", name, target)
		return
	}
	if dep.stage == "" || strings.Contains(dep.stage, ",") {
		c.fail(d.where(), "ScaledObject %s targets %s, which does not run exactly one stage", name, target)
		return
	}
	minR, _ := get(d.m, "spec", "minReplicaCount").(int)
	maxR, okMax := get(d.m, "spec", "maxReplicaCount").(int)
	if !okMax || maxR < minR || maxR < 1 {
		c.fail(d.where(), "ScaledObject %s: minReplicaCount %d / maxReplicaCount %v", name, minR, get(d.m, "spec", "maxReplicaCount"))
	}
	triggers := list(d.m, "spec", "triggers")
	if len(triggers) == 0 {
		c.fail(d.where(), "ScaledObject %s has no triggers", name)
	}
	for i, t := range triggers {
		if typ := str(t, "type"); typ != "redis-streams" {
			c.fail(d.where(), "ScaledObject %s trigger %d: type %q, want redis-streams", name, i, typ)
			continue
		}
		md, _ := get(t, "metadata").(map[string]any)
		for k, v := range md {
			if _, isStr := v.(string); !isStr {
				c.fail(d.where(), "ScaledObject %s trigger %d: metadata.%s must be a string (quote it)", name, i, k)
			}
		}
		want := stageStreams[dep.stage]
		if s := str(md, "stream"); s != want {
			c.fail(d.where(), "ScaledObject %s: stream %q, stage %s consumes %q", name, s, dep.stage, want)
		}
		if g := str(md, "consumerGroup"); g != dep.stage {
			c.fail(d.where(), "ScaledObject %s: consumerGroup %q, want the stage name %q", name, g, dep.stage)
		}
		if l := str(md, "lagCount"); !intString.MatchString(l) {
			c.fail(d.where(), "ScaledObject %s: lagCount %q: lag mode needs a positive integer", name, l)
		}
		if a := str(md, "activationLagCount"); a != "" && !intString.MatchString(a) {
			c.fail(d.where(), "ScaledObject %s: activationLagCount %q is not an integer", name, a)
		}
		if _, pec := md["pendingEntriesCount"]; pec {
			c.fail(d.where(), "ScaledObject %s: pendingEntriesCount with lagCount mixes two scaler modes", name)
		}
		addr, hostEnv, addrEnv := str(md, "address"), str(md, "hostFromEnv"), str(md, "addressFromEnv")
		switch {
		case addrEnv != "":
			if !dep.envs[addrEnv] {
				c.fail(d.where(), "ScaledObject %s: addressFromEnv %s is not set in Deployment %s", name, addrEnv, target)
			}
		case hostEnv != "":
			if !dep.envs[hostEnv] {
				c.fail(d.where(), "ScaledObject %s: hostFromEnv %s is not set in Deployment %s", name, hostEnv, target)
			}
		case addr == "" && str(md, "host") == "":
			c.fail(d.where(), "ScaledObject %s: no Redis address (address, host, addressFromEnv or hostFromEnv)", name)
		}
		if ar := str(t, "authenticationRef", "name"); ar != "" && !auths[ar] {
			c.fail(d.where(), "ScaledObject %s: authenticationRef %q is not a TriggerAuthentication in the set", name, ar)
		}
	}
	c.ok("ScaledObject %s -> Deployment %s: redis-streams lag mode on %s, group %s, replicas %d..%d", name, target, stageStreams[dep.stage], dep.stage, minR, maxR)
}

func (c *checker) checkCompose(file string, m map[string]any) {
	services, _ := get(m, "services").(map[string]any)
	if len(services) == 0 {
		c.fail(file, "no services")
		return
	}
	stages := map[string]bool{}
	for name, sv := range services {
		if str(sv, "image") == "" && get(sv, "build") == nil {
			c.fail(file, "service %s has neither image nor build", name)
		}
		var cmd []string
		for _, a := range list(sv, "command") {
			s, _ := a.(string)
			cmd = append(cmd, s)
		}
		if !strings.HasPrefix(str(sv, "image"), "${DOCPARSE_IMAGE") {
			continue
		}
		if len(cmd) == 0 {
			c.fail(file, "docparse service %s has no command", name)
			continue
		}
		switch cmd[0] {
		case "api", "worker":
			g, err := parseComposeDuration(str(sv, "stop_grace_period"))
			if err != nil || g <= defaultShutdown {
				c.fail(file, "service %s: stop_grace_period %q must exceed SHUTDOWN_TIMEOUT (%s)", name, str(sv, "stop_grace_period"), defaultShutdown)
			}
			if cmd[0] == "worker" {
				if len(cmd) != 3 || cmd[1] != "--stages" {
					c.fail(file, "service %s: command %q, want worker --stages X", name, cmd)
					continue
				}
				for _, s := range strings.Split(cmd[2], ",") {
					if _, ok := stageStreams[s]; !ok {
						c.fail(file, "service %s: unknown stage %q", name, s)
					}
					stages[s] = true
				}
			}
		case "vllm-sim":
		default:
			c.fail(file, "service %s: unknown docparse subcommand %q", name, cmd[0])
		}
	}
	for s := range stageStreams {
		if !stages[s] {
			c.fail(file, "no service runs stage %s", s)
		}
	}
	for _, name := range []string{"vllm-deepseek", "vllm-nanonets"} {
		if _, ok := services[name]; !ok {
			c.fail(file, "service %s is missing", name)
		}
	}
	c.ok("compose: %d services, every stage has a worker service, stop_grace_period > %s", len(services), defaultShutdown)
}

func parseComposeDuration(s string) (time.Duration, error) {
	if s == "" {
		return 10 * time.Second, nil // Docker's default
	}
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}
