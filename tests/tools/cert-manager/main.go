// Command cert-manager runs cert-manager's controller or cainjector, built
// from the github.com/cert-manager/cert-manager module for Vigil's cluster
// tests.
//
// cert-manager's own main packages (cmd/controller, cmd/cainjector) are
// separate modules that exist only in its Git repository (their go.mod
// replaces the root module with ../../), so the module proxy cannot serve
// them. This file is the small part of them the tests need, wired from the
// root module's exported packages: the controllers and the CA injector are
// cert-manager's own code, registered exactly as upstream registers them.
// Only the issuers that need no network are linked (SelfSigned and CA): no
// ACME, Vault, Venafi, ingress or Gateway shims.
//
// Usage:
//
//	cert-manager controller --kubeconfig=F --leader-election-namespace=NS --cluster-resource-namespace=NS
//	cert-manager cainjector --kubeconfig=F --leader-election-namespace=NS
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	cmscheme "github.com/cert-manager/cert-manager/pkg/client/clientset/versioned/scheme"
	"github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/controller/cainjector"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/util"
	corev1 "k8s.io/api/core/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
	apireg "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	// The controllers upstream enables by default, minus ACME, Vault, Venafi
	// and the ingress shim; each registers itself with controller.Register.
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/metrics"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cert-manager controller|cainjector [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf.InitLogs()
	defer logf.FlushLogs()
	ctrl.SetLogger(logf.Log)
	ctx = logf.NewContext(ctx, logf.Log, os.Args[1])

	var err error
	switch os.Args[1] {
	case "controller":
		err = runController(ctx, os.Args[2:])
	case "cainjector":
		err = runCAInjector(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown component %q: expected controller or cainjector", os.Args[1])
	}
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "cert-manager %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// commonFlags are the flags both components take, named as upstream names them.
type commonFlags struct {
	kubeconfig              string
	leaderElectionNamespace string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	klog.InitFlags(fs) // -v, as upstream's --v: 2 logs what each controller does
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "path to a kubeconfig (required)")
	fs.StringVar(&c.leaderElectionNamespace, "leader-election-namespace", "kube-system",
		"namespace of the leader election Lease")
}

func (c *commonFlags) validate() error {
	if c.kubeconfig == "" {
		return errors.New("--kubeconfig is required")
	}
	return nil
}

// Upstream's default leader election timings.
const (
	leaseDuration = 60 * time.Second
	renewDeadline = 40 * time.Second
	retryPeriod   = 15 * time.Second
)

func runController(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	var common commonFlags
	common.register(fs)
	clusterResourceNamespace := fs.String("cluster-resource-namespace", "kube-system",
		"namespace of the Secrets that ClusterIssuers refer to")
	workers := fs.Int("concurrent-workers", 5, "workers per controller")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := common.validate(); err != nil {
		return err
	}
	log := logf.FromContext(ctx)

	// Upstream's defaults for everything the linked controllers read.
	factory, err := controller.NewContextFactory(ctx, controller.ContextOptions{
		Kubeconfig:         common.kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace: *clusterResourceNamespace,
		},
		CertificateOptions: controller.CertificateOptions{
			CopiedAnnotationPrefixes:                 []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
	if err != nil {
		return err
	}
	base, err := factory.Build()
	if err != nil {
		return err
	}

	identity, err := os.Hostname()
	if err != nil {
		return err
	}
	lock, err := resourcelock.NewWithLabels(resourcelock.LeasesResourceLock,
		common.leaderElectionNamespace, "cert-manager-controller",
		base.Client.CoreV1(), base.Client.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: fmt.Sprintf("%s-%d-cert-manager-controller", identity, os.Getpid())},
		map[string]string{"app.kubernetes.io/managed-by": "cert-manager"})
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	elected := make(chan struct{})
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   leaseDuration,
		RenewDeadline:   renewDeadline,
		RetryPeriod:     retryPeriod,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { close(elected) },
			OnStoppedLeading: func() { cancel(errors.New("leader election lost")) },
		},
	})
	if err != nil {
		return err
	}
	go elector.Run(ctx)
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-elected:
	}

	done := make(chan error, len(controller.Known()))
	running := 0
	names := make([]string, 0, len(controller.Known()))
	for name := range controller.Known() {
		names = append(names, name)
	}
	sort.Strings(names)
	log.Info("starting controllers", "controllers", names)
	for _, name := range names {
		iface, err := controller.Known()[name](factory)
		if err != nil {
			cancel(err)
			break
		}
		running++
		go func() { done <- iface.Run(*workers, ctx) }()
	}
	base.SharedInformerFactory.Start(ctx.Done())
	base.KubeSharedInformerFactory.Start(ctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())

	var firstErr error
	for range running {
		if err := <-done; err != nil && firstErr == nil {
			firstErr = err
			cancel(err)
		}
	}
	if cause := context.Cause(ctx); firstErr == nil && cause != nil {
		firstErr = cause
	}
	return firstErr
}

func runCAInjector(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cainjector", flag.ContinueOnError)
	var common commonFlags
	common.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := common.validate(); err != nil {
		return err
	}
	restConfig, err := clientcmd.BuildConfigFromFlags("", common.kubeconfig)
	if err != nil {
		return err
	}
	// The injectors name their server-side apply field manager after the user agent.
	restConfig = util.RestConfigWithUserAgent(restConfig, "cainjector")
	scheme := runtime.NewScheme()
	utilruntime.Must(kscheme.AddToScheme(scheme))
	utilruntime.Must(cmscheme.AddToScheme(scheme))
	utilruntime.Must(apiext.AddToScheme(scheme))
	utilruntime.Must(apireg.AddToScheme(scheme))

	lease, renew, retry := leaseDuration, renewDeadline, retryPeriod
	// The manager options upstream's cainjector sets, without its metrics
	// server (the tests need no port for it).
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme: scheme,
		Cache:  cache.Options{ReaderFailOnMissingInformer: true},
		Client: client.Options{
			Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}},
		},
		LeaderElection:                true,
		LeaderElectionNamespace:       common.leaderElectionNamespace,
		LeaderElectionID:              "cert-manager-cainjector-leader-election",
		LeaderElectionReleaseOnCancel: true,
		LeaderElectionLabels:          map[string]string{"app.kubernetes.io/managed-by": "cert-manager-cainjector"},
		LeaderElectionResourceLock:    resourcelock.LeasesResourceLock,
		LeaseDuration:                 &lease,
		RenewDeadline:                 &renew,
		RetryPeriod:                   &retry,
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        "0",
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := cainjector.RegisterAllInjectors(ctx, mgr, cainjector.SetupOptions{
		EnableCertificatesDataSource: true,
		EnabledReconcilersFor: map[string]bool{
			cainjector.MutatingWebhookConfigurationName:   true,
			cainjector.ValidatingWebhookConfigurationName: true,
			cainjector.APIServiceName:                     true,
			cainjector.CustomResourceDefinitionName:       true,
		},
	}); err != nil {
		return fmt.Errorf("registering the injectors: %w", err)
	}
	return mgr.Start(ctx)
}
