"""A small controller runtime: workqueue, informers, controllers, leader election and a manager."""
