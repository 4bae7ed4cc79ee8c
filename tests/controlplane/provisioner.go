package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

// provisionerName is the StorageClass provisioner this test plane serves.
const provisionerName = "vigil.dev/test-provisioner"

// The two classes the plane offers: a default one that can grow, and one that
// cannot, so that "storage cannot expand" is a real apiserver answer.
const (
	expandableClass    = "standard"
	nonExpandableClass = "fixed-size"
)

// runProvisioner provisions PersistentVolumes for claims of the plane's
// StorageClasses with sig-storage-lib-external-provisioner, and completes
// volume expansion the way the external-resizer does for a volume that needs
// no node-side expansion: PV capacity first, then the claim's status.
func runProvisioner(args []string) int {
	fs := flag.NewFlagSet("provisioner", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "path to a kubeconfig")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "provisioner: cannot load kubeconfig:", err)
		return 1
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "provisioner: cannot build client:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if err := ensureStorageClasses(ctx, client); err != nil {
		fmt.Fprintln(os.Stderr, "provisioner: cannot create storage classes:", err)
		return 1
	}
	pc := controller.NewProvisionController(ctx, client, provisionerName, hostPathProvisioner{},
		controller.LeaderElection(false),
		controller.ResyncPeriod(30*time.Second),
	)
	go newResizer(client).run(ctx)
	pc.Run(ctx)
	return 0
}

func ensureStorageClasses(ctx context.Context, client kubernetes.Interface) error {
	immediate := storagev1.VolumeBindingImmediate
	deletePolicy := corev1.PersistentVolumeReclaimDelete
	classes := []storagev1.StorageClass{
		{
			ObjectMeta: metav1.ObjectMeta{
				Name:        expandableClass,
				Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
			},
			Provisioner:          provisionerName,
			AllowVolumeExpansion: new(true),
			VolumeBindingMode:    &immediate,
			ReclaimPolicy:        &deletePolicy,
		},
		{
			ObjectMeta:           metav1.ObjectMeta{Name: nonExpandableClass},
			Provisioner:          provisionerName,
			AllowVolumeExpansion: new(false),
			VolumeBindingMode:    &immediate,
			ReclaimPolicy:        &deletePolicy,
		},
	}
	for i := range classes {
		_, err := client.StorageV1().StorageClasses().Create(ctx, &classes[i], metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// hostPathProvisioner hands out hostPath volumes. kwok runs no kubelet, so
// nothing ever mounts them; the PV only has to be valid and bindable.
type hostPathProvisioner struct{}

func (hostPathProvisioner) Provision(_ context.Context, opts controller.ProvisionOptions) (*corev1.PersistentVolume, controller.ProvisioningState, error) {
	request := opts.PVC.Spec.Resources.Requests[corev1.ResourceStorage]
	reclaim := corev1.PersistentVolumeReclaimDelete
	if opts.StorageClass.ReclaimPolicy != nil {
		reclaim = *opts.StorageClass.ReclaimPolicy
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: opts.PVName},
		Spec: corev1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   opts.PVC.Spec.AccessModes,
			VolumeMode:                    opts.PVC.Spec.VolumeMode,
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: request},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: filepath.Join("/var/lib/vigil-test-volumes", opts.PVName)},
			},
		},
	}
	return pv, controller.ProvisioningFinished, nil
}

func (hostPathProvisioner) Delete(context.Context, *corev1.PersistentVolume) error { return nil }

// resizer is the external-resizer's controller-side expansion for this
// plane's volumes.
type resizer struct {
	client  kubernetes.Interface
	factory informers.SharedInformerFactory
	queue   workqueue.TypedRateLimitingInterface[string]
}

func newResizer(client kubernetes.Interface) *resizer {
	return &resizer{
		client:  client,
		factory: informers.NewSharedInformerFactory(client, 30*time.Second),
		queue:   workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
}

func (r *resizer) run(ctx context.Context) {
	defer r.queue.ShutDown()
	pvcs := r.factory.Core().V1().PersistentVolumeClaims()
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			r.queue.Add(key)
		}
	}
	_, _ = pvcs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	})
	r.factory.Start(ctx.Done())
	r.factory.WaitForCacheSync(ctx.Done())
	go func() {
		<-ctx.Done()
		r.queue.ShutDown()
	}()
	for {
		key, shutdown := r.queue.Get()
		if shutdown {
			return
		}
		if err := r.sync(ctx, pvcs.Lister(), key); err != nil {
			klog.FromContext(ctx).Error(err, "resize failed", "pvc", key)
			r.queue.AddRateLimited(key)
		} else {
			r.queue.Forget(key)
		}
		r.queue.Done(key)
	}
}

func (r *resizer) sync(ctx context.Context, lister corelisters.PersistentVolumeClaimLister, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pvc, err := lister.PersistentVolumeClaims(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	if pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName == "" {
		return nil
	}
	want := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	have, ok := pvc.Status.Capacity[corev1.ResourceStorage]
	if !ok || want.Cmp(have) <= 0 {
		return nil
	}
	pv, err := r.client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if pv.Annotations["pv.kubernetes.io/provisioned-by"] != provisionerName {
		return nil
	}
	if current := pv.Spec.Capacity[corev1.ResourceStorage]; current.Cmp(want) < 0 {
		pv.Spec.Capacity[corev1.ResourceStorage] = want
		if _, err := r.client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	updated := pvc.DeepCopy()
	updated.Status.Capacity[corev1.ResourceStorage] = want
	updated.Status.AllocatedResources = corev1.ResourceList{corev1.ResourceStorage: want}
	updated.Status.AllocatedResourceStatuses = nil
	updated.Status.Conditions = nil
	_, err = r.client.CoreV1().PersistentVolumeClaims(ns).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	return err
}
