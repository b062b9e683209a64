"""The ``xarray`` codec: xarray Datasets and DataArrays, each variable stored as data.

Used only when xarray is installed (``pip install 'dflow[xarray]'``). Every variable's
array (data variables and coordinates alike) is saved through the store itself, so a
large numpy variable is a ``zarr`` array and a dask-backed one a ``dask-zarr`` array
written chunk by chunk by its own tasks; the structure (dims, variable names, attrs and
the variables' references) is one msgpack blob whose key, covering the variables' keys,
is the artifact's key. Loading rebuilds the object: dask-backed variables come back as
lazy dask arrays over the store, the others as numpy arrays.

Attributes must be plain data (msgpack with extension types), and no variable may need a
pickle (object dtypes); otherwise the value is pickled with the reason recorded.
"""

from __future__ import annotations

from typing import Any

from dflow.store import plaindata
from dflow.store.codecs import Codec, Declined, save_value, type_name
from dflow.store.refs import ArtifactRef


class XarrayCodec(Codec):
    """xarray.Dataset and xarray.DataArray, variable by variable."""

    name = "xarray"

    def accepts(self, value: Any) -> bool:  # noqa: D102
        import xarray as xr

        return type(value) in (xr.Dataset, xr.DataArray)

    def save(self, store: Any, value: Any) -> ArtifactRef:  # noqa: D102
        import xarray as xr

        is_array = isinstance(value, xr.DataArray)
        ds = value.to_dataset(name="__dflow_data__") if is_array else value
        doc = {
            "kind": "dataarray" if is_array else "dataset",
            "name": value.name if is_array else None,
            "attrs": dict(value.attrs),
            "ds_attrs": dict(ds.attrs),
            "coords": [_variable(store, n, ds[n].variable) for n in ds.coords],
            "data_vars": [_variable(store, n, ds[n].variable) for n in ds.data_vars],
        }
        try:
            data = plaindata.pack(doc)
        except (TypeError, ValueError, OverflowError) as exc:
            raise Declined(f"its attrs or names are not plain data ({exc})") from None
        meta = {
            "dims": {str(d): int(n) for d, n in ds.sizes.items()},
            "variables": [str(n) for n in ds.data_vars][:64],
        }
        key = store.put_bytes(data)
        return ArtifactRef(key, self.name, int(value.nbytes), type_name(value), meta)

    def load(self, store: Any, ref: ArtifactRef, name: str) -> Any:  # noqa: D102
        import xarray as xr

        doc = plaindata.unpack(store.get_bytes(ref.key, name=name))

        def variables(entries: list) -> dict:
            return {
                vname: xr.Variable(
                    tuple(dims), store.load(ArtifactRef.from_dict(r), name=name), attrs
                )
                for vname, dims, attrs, r in entries
            }

        ds = xr.Dataset(
            variables(doc["data_vars"]), coords=variables(doc["coords"]), attrs=doc["ds_attrs"]
        )
        if doc["kind"] == "dataset":
            return ds
        arr = ds["__dflow_data__"]
        arr.name = doc["name"]
        arr.attrs = doc["attrs"]
        return arr


def _variable(store: Any, vname: Any, var: Any) -> list:
    """``[name, dims, attrs, ref]`` of one variable, its data saved through the store."""
    data = var.data
    if type(data).__module__.partition(".")[0] not in ("numpy", "dask"):
        data = var.values  # xarray's lazily indexed or index-backed arrays
    ref = save_value(store, data)
    if ref.encoding == "pickle":
        raise Declined(f"variable {vname!r} ({var.dtype}) could only be stored as a pickle")
    return [vname, list(var.dims), dict(var.attrs), ref.to_dict()]
