// Command vigil-plane is a multi-call binary that runs the upstream Kubernetes
// components Vigil's tests need, built from the upstream Go modules and
// nothing else: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// kubectl, kwok (simulated nodes and kubelets) and a test volume
// provisioner/resizer. The first argument names the component; the rest are
// that component's own flags, exactly as its upstream binary takes them.
//
// One binary instead of six keeps the cold build on a 2-core machine to a
// single (large) link step, as hyperkube once did.
package main

import (
	"fmt"
	"os"
	"sort"
	"time"
)

var components = map[string]func(args []string) int{
	"etcd":                    runEtcd,
	"kube-apiserver":          runAPIServer,
	"kube-controller-manager": runControllerManager,
	"kube-scheduler":          runScheduler,
	"kubectl":                 runKubectl,
	"kwok":                    runKwok,
	"provisioner":             runProvisioner,
	"pki":                     runPKI,
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	run, ok := components[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "vigil-plane: unknown component %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	// Each upstream command parses os.Args[1:], so make it look as if the
	// component's own binary had been started.
	os.Args = append([]string{os.Args[1]}, os.Args[2:]...)
	if os.Getenv("VIGIL_PLANE_EXIT_WITH_PARENT") == "1" {
		go exitWithParent()
	}
	os.Exit(run(os.Args))
}

func usage() {
	names := make([]string, 0, len(components))
	for name := range components {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: vigil-plane <component> [flags]\ncomponents: %v\n", names)
}

// exitWithParent ends the component when the process that started it is
// gone (reparented), so that a test runner killed with SIGKILL leaves no
// apiserver or etcd behind. Polling the parent pid is used instead of
// PR_SET_PDEATHSIG, which fires when the spawning *thread* exits and Deno
// spawns from short-lived runtime threads.
func exitWithParent() {
	parent := os.Getppid()
	for {
		time.Sleep(500 * time.Millisecond)
		if os.Getppid() != parent {
			fmt.Fprintf(os.Stderr, "vigil-plane: parent %d is gone, exiting\n", parent)
			os.Exit(3)
		}
	}
}
