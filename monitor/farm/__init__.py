"""The offline news farm: mock Russian and Kazakh news sites on 127.0.0.1 for tests, benchmarks and the demo."""

from monitor.farm.data import DEFAULT_TODAY, SITES, Farm, FarmArticle
from monitor.farm.server import FarmServer, running_farm

__all__ = ["DEFAULT_TODAY", "SITES", "Farm", "FarmArticle", "FarmServer", "running_farm"]
