"""The ONNX writers behind :mod:`skae.onnx`; private, imported only from there.

Separation of concerns:

- :mod:`~skae._onnx.graph` owns names and the two ways a graph grows
  (initializers and nodes), over a skl2onnx container;
- :mod:`~skae._onnx.layers` and :mod:`~skae._onnx.recurrent` write one Keras
  layer each, from its weights, in channels-last terms as Keras computes;
- :mod:`~skae._onnx.networks` walks a Keras network layer by layer (or hands
  it to Keras' own exporter when it holds a layer the writers do not know);
- :mod:`~skae._onnx.estimators` writes each estimator's arithmetic around
  its networks (scaling, layouts, whitening, imputation, scores) and the
  shape calculators skl2onnx asks for;
- :mod:`~skae._onnx.check` runs a graph in onnxruntime and compares it with
  the estimator; :mod:`~skae._onnx.errors` holds the two errors raised.

Nothing here is imported by ``import skae``; Keras is imported only when a
fitted estimator's networks are written.
"""
