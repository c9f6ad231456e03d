//! Kubewarden policy module (work in progress).
