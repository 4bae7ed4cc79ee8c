package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodeheartbeat "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
	"sigs.k8s.io/kwok/pkg/config"
	"sigs.k8s.io/kwok/pkg/kwok/cmd"
	"sigs.k8s.io/kwok/pkg/log"
	"sigs.k8s.io/kwok/pkg/utils/signals"
)

// runKwok runs kwok's own command with the default node and pod stages that
// kwokctl would give it (node init, heartbeat with lease, pod ready/complete/
// delete), written to a config file because the stand-alone kwok binary
// reads stages only from --config.
func runKwok(args []string) int {
	dir, err := os.MkdirTemp("", "vigil-kwok-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "kwok: cannot create stage dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	stages := strings.Join([]string{
		nodefast.DefaultNodeInit,
		nodeheartbeat.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady,
		podfast.DefaultPodComplete,
		podfast.DefaultPodDelete,
	}, "\n---\n")
	stagePath := filepath.Join(dir, "stages.yaml")
	if err := os.WriteFile(stagePath, []byte(stages), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "kwok: cannot write stages:", err)
		return 1
	}
	os.Args = append(args, "--config="+stagePath)
	// Kubernetes' component-base registers a global --version flag of its own
	// type; kwok's cobra command declares a bool one. In kwok's own binary the
	// global set is empty, so give it an empty one here too.
	pflag.CommandLine = pflag.NewFlagSet(args[0], pflag.ExitOnError)

	flagset := pflag.NewFlagSet("global", pflag.ContinueOnError)
	flagset.ParseErrorsAllowlist.UnknownFlags = true
	flagset.Usage = func() {}

	ctx := signals.SetupSignalContext()
	ctx, logger := log.InitFlags(ctx, flagset)
	ctx, err = config.InitFlags(ctx, flagset)
	if err != nil {
		logger.Error("Init config flags", "err", err)
		return 1
	}
	command := cmd.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(flagset)
	if err := command.ExecuteContext(ctx); err != nil {
		logger.Error("Execute exit", "err", err)
		return 1
	}
	return 0
}
